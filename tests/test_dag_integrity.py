"""DAG integrity: every DAG file imports cleanly, cheaply, and follows the house rules.

Parametrised per DAG file so a failure names its file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bankseg.layout import REPOSITORY_ROOT

DAG_FILES = sorted((REPOSITORY_ROOT / "dags").glob("*.py"))
APPROVED_TAGS = {"bankseg", "daily", "training", "spark", "hive", "mlflow", "quality", "dashboards"}
# Heavy libraries a DAG file must not import at parse time: the DAG processor parses every file often.
HEAVY_MODULES = ("pyspark", "sklearn", "mlflow", "great_expectations", "pandas")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPOSITORY_ROOT / "dags"))


def test_there_are_dag_files():
    assert [path.name for path in DAG_FILES] == ["bank_segmentation_daily.py", "bank_segmentation_training.py"]


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda path: path.name)
def test_parse_loads_no_spark_mlflow_or_great_expectations(dag_file, tmp_path):
    probe = (
        "import json, sys, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('dag_under_test', {str(dag_file)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY_MODULES!r} if m in sys.modules]}}))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # What keeps a parse inside dagbag_import_timeout: no Spark, MLflow or Great Expectations at
    # import. (The parse time itself depends on the machine's load; it is not a unit test's to judge.)
    assert report["heavy"] == [], f"{dag_file.name} imports {report['heavy']} at parse time"


def test_house_rules(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and set(dag.tags) <= APPROVED_TAGS, f"{dag_id} tags {dag.tags}"
        assert dag.doc_md, f"{dag_id} has no doc_md"
        assert dag.catchup is False, f"{dag_id} must not catch up by surprise"
        assert dag.max_active_runs == 1, f"{dag_id} runs share partitions: one at a time"
        for task in dag.tasks:
            # Checks and gates (the same data gives the same verdict), and training (a retry would
            # register the model twice), do not retry.
            if task.task_id in ("landing_files_present", "features_not_yet_trained", "train_segmentation") or task.task_id.startswith("validate_"):
                assert task.retries == 0, f"{dag_id}.{task.task_id} retries={task.retries}"
            else:
                assert task.retries >= 2, f"{dag_id}.{task.task_id} retries={task.retries}"
            assert task.owner == "data-engineering", f"{dag_id}.{task.task_id} owner={task.owner}"


def test_daily_dag_wiring(dagbag):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
    from quality_gate import QualityGateOperator

    dag = dagbag.dags["bank_segmentation_daily"]
    assert (type(dag.timetable).__name__, dag.timetable.expression) == ("CronDataIntervalTimetable", "0 0 * * *")
    order = [
        "landing_files_present",
        "daily_pipeline",
        "validate_raw",
        "validate_curated",
        "validate_features",
        "register_hive",
        "report_run",
    ]
    assert sorted(dag.task_ids) == sorted(order)
    for upstream, downstream in zip(order, order[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    # One Spark application: each of its steps writes, audits and publishes its own folder of the date.
    job = dag.get_task("daily_pipeline")
    assert isinstance(job, SparkSubmitOperator)
    assert job._conn_id == "spark_default"  # the operator keeps it private
    assert job.application_args == ["--run-date", "{{ params.run_date or ds }}", "--data-dir", job.application_args[3],
                                     "--steps", "{{ params.steps | join(',') }}"]
    assert Path(job.application) == REPOSITORY_ROOT / "jobs" / "daily_pipeline.py"
    assert dag.params["steps"] == ["batch", "snapshot"]
    for layer in ("raw", "curated", "features"):
        gate = dag.get_task(f"validate_{layer}")
        assert isinstance(gate, QualityGateOperator) and gate.layer == layer
        assert gate.run_date == "{{ params.run_date or ds }}"
    # Training starts from features that passed their gate, never from unvalidated ones.
    assert [outlet.name for outlet in dag.get_task("validate_features").outlets] == ["bankseg_customer_features"]
    assert dag.get_task("daily_pipeline").outlets == []
    assert "run_date" in dag.params


def test_training_dag_wiring(dagbag):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    dag = dagbag.dags["bank_segmentation_training"]
    # Started by the features asset the daily DAG emits after the features gate.
    daily_outlet = dagbag.dags["bank_segmentation_daily"].get_task("validate_features").outlets[0]
    triggers = dag.timetable.asset_condition.objects
    assert [(asset.name, asset.uri) for asset in triggers] == [(daily_outlet.name, daily_outlet.uri)]
    train = dag.get_task("train_segmentation")
    assert isinstance(train, SparkSubmitOperator)
    assert Path(train.application) == REPOSITORY_ROOT / "jobs" / "train_segmentation.py"
    assert dag.get_task("report_training").upstream_task_ids == {"train_segmentation"}
    # A run the asset started asks first whether those features were already trained on.
    assert train.upstream_task_ids == {"features_not_yet_trained"}
    assert {name: dag.params[name] for name in ("k_min", "k_max", "chosen_k", "seed", "selection", "sample_customers")} == {
        "k_min": 2, "k_max": 10, "chosen_k": 6, "seed": 42, "selection": "chosen_k", "sample_customers": 600_000,
    }
    assert dag.params["algorithms"] == ["kmeans", "bisecting_kmeans", "agglomerative"]
    # Every parameter of the training reaches the job's command line under its own flag.
    from bankseg.training_parameters import TrainingParameters
    from dataclasses import fields

    flags = train.application_args[4::2]
    assert flags == [f"--{field.name.replace('_', '-')}" for field in fields(TrainingParameters)]
    assert train.retries == 0
    # Asset-triggered runs have no logical date: the snapshot date must not need `ds`.
    assert "(dag_run.run_after | ds)" in train.application_args[1]


# What the Airflow API server and the DAG processor load must not pull in the data stack.
SPARK_SIDE_MODULES = ("pyspark", "mlflow", "great_expectations", "sklearn")


@pytest.mark.parametrize("module_file", [*DAG_FILES, *sorted((REPOSITORY_ROOT / "plugins").glob("*.py"))], ids=lambda path: path.name)
def test_airflow_side_code_loads_no_spark_mlflow_or_great_expectations(module_file, tmp_path):
    probe = (
        "import json, sys, importlib.util\n"
        f"sys.path.insert(0, {str(REPOSITORY_ROOT / 'plugins')!r})\n"
        f"spec = importlib.util.spec_from_file_location('module_under_test', {str(module_file)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        f"print(json.dumps([m for m in {SPARK_SIDE_MODULES!r} if m in sys.modules]))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "BANKSEG_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [], f"{module_file.name} loads {result.stdout.strip()}"
