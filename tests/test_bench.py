"""The benchmark's arithmetic and where it reads a fit's time: hand-made measurements, a real MLflow store."""

from __future__ import annotations

import os
import time

import pytest

from bankseg import bench, platform, tracking
from bankseg.bench import Measurement
from bankseg.layout import DataLayout


def scale_rows(etl: float, features: float, fit6: float, one_fit: float) -> list[Measurement]:
    return [
        Measurement("etl", etl, 3000.0, 1200.0),
        Measurement("features", features, 2000.0, 900.0),
        Measurement("fit6", fit6, 3100.0, 1500.0),
        Measurement(bench.ONE_FIT_STAGES["fit6"], one_fit, 0.0),
    ]


def table_row(table: str, first_cell: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


def test_target_seconds_adds_etl_features_and_one_fit_only():
    assert bench.target_seconds(scale_rows(40.0, 30.0, 100.0, 8.5)) == pytest.approx(78.5)
    assert bench.target_seconds(scale_rows(40.0, 30.0, 100.0, 8.5)[:2]) is None


def test_target_seconds_takes_the_dag_tasks_when_the_jobs_did_not_run_alone():
    dag_rows = [
        Measurement("dag", 300.0, 4000.0, 2000.0),
        Measurement("dag: validate_raw", 25.0, 0.0),
        Measurement("dag: etl_transactions", 45.0, 0.0),
        Measurement("dag: customer_features", 35.0, 0.0),
        Measurement("training-dag", 600.0, 4000.0, 2500.0),
        Measurement("training-dag: one k=6 fit", 12.0, 0.0),
    ]
    assert bench.target_seconds(dag_rows) == pytest.approx(92.0)
    assert bench.target_seconds(dag_rows[:-1]) is None
    # A job measured on its own counts before the same job inside the DAG.
    assert bench.target_seconds([*dag_rows, Measurement("etl", 40.0, 0.0)]) == pytest.approx(87.0)


def test_scale_table_gives_each_scale_its_figures_and_the_growth_per_size_growth():
    table = bench.format_scale_table("local[*]", {1.0: scale_rows(40.0, 30.0, 100.0, 10.0), 10.0: scale_rows(200.0, 90.0, 700.0, 45.0)})
    # ETL: 200 / 40 = 5 times the time for 10 times the rows.
    assert table_row(table, "etl") == ["40.0", "3,000", "1,200", "200.0", "3,000", "1,200", "0.50"]
    # The one-fit row has no memory of its own: it is a part of fit6's process.
    assert table_row(table, bench.ONE_FIT_STAGES["fit6"]) == ["10.0", "", "", "45.0", "", "", "0.45"]
    # 40 + 30 + 10 = 80 at 1x; 200 + 90 + 45 = 335 at 10x.
    assert table_row(table, "ETL + features + one k=6 fit") == ["80.0", "", "", "335.0", "", "", "0.42"]
    assert "10x = 10,485,670 rows" in table


def test_the_fit_time_is_read_from_the_latest_training_run(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.setenv(tracking.TRACKING_URI_ENV, "")  # restored afterwards: MLflow writes it below
    layout = DataLayout(str(tmp_path / "data"))
    tracking.configure(layout)
    for seconds in (12.5, 7.25):  # an older training, then the latest
        with mlflow.start_run(run_name="training-2016-10-21"):
            mlflow.log_metric("chosen_fit_seconds", seconds)
            with mlflow.start_run(run_name="kmeans-k6", nested=True):  # a nested run starts later
                mlflow.log_metric("fit_seconds", 99.0)
        time.sleep(0.01)  # start times are in milliseconds: the two trainings must not tie
    mlflow.set_tracking_uri(None)  # the reader must not rely on this process's MLflow settings
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    assert bench.recorded_chosen_fit_seconds(layout) == 7.25
    assert "MLFLOW_TRACKING_URI" not in os.environ


def test_a_stage_missing_at_one_scale_gets_no_row_and_a_zero_time_no_growth():
    one = [Measurement("dag", 200.0, 0.0), Measurement("dag: score_customers", 0.0, 0.0), Measurement("dag: etl_transactions", 40.0, 0.0)]
    ten = [Measurement("dag", 900.0, 0.0), Measurement("dag: etl_transactions", 150.0, 0.0)]
    assert bench.stages_at_every_scale({1.0: one, 10.0: ten}) == ["dag", "dag: etl_transactions"]
    both = {1.0: one, 10.0: [*ten, Measurement("dag: score_customers", 30.0, 0.0)]}
    assert table_row(bench.format_scale_table("local[*]", both), "dag: score_customers")[-1] == ""


def test_the_dag_run_id_and_task_times_are_read_as_airflow_writes_them():
    line = (
        "2026-11-25T10:18:09.714679Z [info     ] DagRun Finished: dag_id=bank_segmentation_daily, "
        "logical_date=2016-10-21 00:00:00+00:00, run_id=manual__2026-11-25T10:17:00.102756+00:00, "
        "run_start_date=2016-10-21 00:00:00+00:00, run_end_date=2026-11-25 10:18:09.714593+00:00, state=success"
    )
    finished = bench.DAG_RUN_FINISHED.search(f"earlier line\n{line}\nlater line")
    assert finished.group("run_id") == "manual__2026-11-25T10:17:00.102756+00:00"
    assert "state=success" in finished.group(0) and "later" not in finished.group(0)
    assert bench.task_seconds("2026-11-25T10:17:04.825189+00:00", "2026-11-25T10:17:42.540014+00:00") == pytest.approx(37.714825)


def test_jobs_of_another_data_directory_do_not_inherit_a_store_this_process_configured(tmp_path, monkeypatch):
    # MLflow writes the variable itself: setenv first, so the test leaves the environment as it found it.
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, "")
    monkeypatch.setattr(tracking, "_uris_set_here", set())
    first, second = DataLayout(str(tmp_path / "one")), DataLayout(str(tmp_path / "two"))
    tracking.configure(first)
    # MLflow itself puts the URI into the environment, where every child process would find it.
    assert os.environ[tracking.TRACKING_URI_ENV] == tracking.default_tracking_uri(first)
    assert tracking.TRACKING_URI_ENV not in platform.platform_env(second)
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, "http://mlflow.internal:5000")
    assert platform.platform_env(second)[tracking.TRACKING_URI_ENV] == "http://mlflow.internal:5000"


def test_an_earlier_store_of_this_process_put_back_into_the_environment_is_not_taken_for_a_server(tmp_path, monkeypatch):
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, "")
    monkeypatch.setattr(tracking, "_uris_set_here", set())
    first, second, third = (DataLayout(str(tmp_path / name)) for name in ("one", "two", "three"))
    tracking.configure(first)
    earlier = os.environ[tracking.TRACKING_URI_ENV]
    tracking.configure(second)
    # What a fixture restoring the environment it found does after the second store was configured.
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, earlier)
    assert tracking.configured_tracking_uri() is None
    tracking.configure(third)
    assert os.environ[tracking.TRACKING_URI_ENV] == tracking.default_tracking_uri(third) != earlier


def test_a_stage_measured_again_replaces_its_figures_and_the_others_stay(tmp_path):
    saved = tmp_path / "bench-52428350.json"
    bench.save_measurements([Measurement("generate", 240.0, 340.0, 340.0), Measurement("dag", 6000.0, 3900.0, 2800.0)], saved)
    bench.save_measurements([Measurement("dag", 5800.0, 3700.0, 2700.0), Measurement("training-dag", 3000.0, 4100.0, 2600.0)], saved)
    assert bench.load_measurements(saved) == [
        Measurement("generate", 240.0, 340.0, 340.0),
        Measurement("dag", 5800.0, 3700.0, 2700.0),
        Measurement("training-dag", 3000.0, 4100.0, 2600.0),
    ]


def test_the_report_tables_and_plots_sizes_measured_in_separate_runs(tmp_path, capsys):
    bench.save_measurements(scale_rows(40.0, 30.0, 100.0, 10.0), tmp_path / "bench-1048567.json")
    # 10x in two runs: the jobs first, then the ETL again with the fit.
    ten = scale_rows(200.0, 90.0, 700.0, 45.0)
    bench.save_measurements([Measurement("etl", 999.0, 1.0, 1.0), ten[1]], tmp_path / "bench-10485670.json")
    bench.save_measurements([ten[0], *ten[2:]], tmp_path / "bench-10485670.json")
    bench.main(["--scales", "1,10", "--report", "--data-dir", str(tmp_path)])
    table = (tmp_path / "bench-scale.md").read_text()
    assert table_row(table, "etl") == ["40.0", "3,000", "1,200", "200.0", "3,000", "1,200", "0.50"]
    assert table_row(table, "ETL + features + one k=6 fit") == ["80.0", "", "", "335.0", "", "", "0.42"]
    assert (tmp_path / "bench-scale.png").read_bytes().startswith(b"\x89PNG")
    assert "written to" in capsys.readouterr().out


def test_the_report_names_a_size_that_was_never_measured(tmp_path):
    bench.save_measurements(scale_rows(40.0, 30.0, 100.0, 10.0), tmp_path / "bench-1048567.json")
    with pytest.raises(SystemExit, match="no measurements at 50x .*make bench SCALES=50"):
        bench.main(["--scales", "1,50", "--report", "--data-dir", str(tmp_path)])
    assert not (tmp_path / "bench-scale.md").exists()
