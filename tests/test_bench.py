"""The benchmark's arithmetic and where it reads a fit's time: hand-made measurements, a real MLflow store."""

from __future__ import annotations

import os

import pytest

from bankseg import airflow_cli, bench, environment, tracking
from bankseg.bench import Measurement
from bankseg.layout import DataLayout


def scale_rows(dag: float, training: float, scored: float) -> list[Measurement]:
    return [
        Measurement("dag", dag, 3000.0, 1200.0),
        Measurement("dag: daily_pipeline", dag / 2, 0.0),
        Measurement("training-dag", training, 2000.0, 900.0),
        Measurement("dag-scored", scored, 3100.0, 1500.0),
    ]


def table_row(table: str, first_cell: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {first_cell} |"))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


def test_scale_table_gives_each_scale_its_figures_and_the_growth_per_size_growth():
    table = bench.format_scale_table("local[*]", {1.0: scale_rows(100.0, 80.0, 120.0), 10.0: scale_rows(400.0, 200.0, 480.0)})
    # The daily DAG: 400 / 100 = 4 times the time for 10 times the rows.
    assert table_row(table, "dag") == ["100.0", "3,000", "1,200", "400.0", "3,000", "1,200", "0.40"]
    # A task row has no memory of its own: it is a part of the DAG's process tree.
    assert table_row(table, "dag: daily_pipeline") == ["50.0", "", "", "200.0", "", "", "0.40"]
    assert table_row(table, "training-dag")[-1] == "0.25"
    assert "10x = 10,485,670 rows" in table


def test_a_stage_missing_at_one_scale_gets_no_row_and_a_zero_time_no_growth():
    one = [Measurement("dag", 200.0, 0.0), Measurement("dag: validate_features", 0.0, 0.0), Measurement("dag: daily_pipeline", 40.0, 0.0)]
    ten = [Measurement("dag", 900.0, 0.0), Measurement("dag: daily_pipeline", 150.0, 0.0)]
    assert bench.stages_at_every_scale({1.0: one, 10.0: ten}) == ["dag", "dag: daily_pipeline"]
    both = {1.0: one, 10.0: [*ten, Measurement("dag: validate_features", 30.0, 0.0)]}
    assert table_row(bench.format_scale_table("local[*]", both), "dag: validate_features")[-1] == ""


def test_task_times_are_read_from_the_dag_run_log_as_airflow_writes_it():
    lines = [
        "2026-12-01T10:36:39.750352Z [info     ] [DAG TEST] starting task_id=landing_files_present map_index=-1 [airflow.sdk.definitions.dag]",
        "2026-12-01T10:36:47.400000Z [info     ] Task instance state updated    [airflow.api_fastapi] loc=task_instances.py:485 new_state=success rows_affected=1",
        "2026-12-01T10:36:47.428910Z [info     ] [DAG TEST] end task task_id=landing_files_present map_index=-1 [airflow.sdk.definitions.dag]",
        "2026-12-01T10:36:47.448138Z [info     ] [DAG TEST] starting task_id=daily_pipeline map_index=-1 [airflow.sdk.definitions.dag]",
        "2026-12-01T10:38:40.000000Z [info     ] Task instance state updated    [airflow.api_fastapi] new_state=up_for_retry rows_affected=1",
        "2026-12-01T10:38:47.333088Z [info     ] [DAG TEST] end task task_id=daily_pipeline map_index=-1 [airflow.sdk.definitions.dag]",
    ]
    progress = airflow_cli.DagTestProgress()
    ended = [outcome for outcome in map(progress.feed, lines) if outcome is not None]
    # By hand: 47.428910 - 39.750352 = 7.68 s; 10:38:47.333088 - 10:36:47.448138 = 119.88 s.
    assert [(o.task_id, o.state, o.seconds) for o in ended] == [("landing_files_present", "success", 7.7), ("daily_pipeline", "up_for_retry", 119.9)]
    assert ended[1].line() == "  daily_pipeline           up_for_retry     119.9 s"
    assert not progress.failed
    progress.feed("2026-12-01T10:40:00Z [info     ] DagRun Finished: dag_id=bank_segmentation_daily, run_id=x, state=failed")
    assert progress.failed


def test_jobs_of_another_data_directory_do_not_inherit_a_store_this_process_configured(tmp_path, monkeypatch):
    # MLflow writes the variable itself: setenv first, so the test leaves the environment as it found it.
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, "")
    monkeypatch.setattr(tracking, "_uris_set_here", set())
    first, second = DataLayout(str(tmp_path / "one")), DataLayout(str(tmp_path / "two"))
    tracking.configure(first)
    # MLflow itself puts the URI into the environment, where every child process would find it.
    assert os.environ[tracking.TRACKING_URI_ENV] == tracking.default_tracking_uri(first)
    assert tracking.TRACKING_URI_ENV not in environment.platform_env(second)
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, "http://mlflow.internal:5000")
    assert environment.platform_env(second)[tracking.TRACKING_URI_ENV] == "http://mlflow.internal:5000"


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
    bench.save_measurements(scale_rows(100.0, 80.0, 120.0), tmp_path / "bench-1048567.json")
    # 10x in two runs: the daily DAG first, then both DAGs again.
    ten = scale_rows(400.0, 200.0, 480.0)
    bench.save_measurements([Measurement("dag", 999.0, 1.0, 1.0)], tmp_path / "bench-10485670.json")
    bench.save_measurements(ten, tmp_path / "bench-10485670.json")
    bench.main(["--scales", "1,10", "--report", "--data-dir", str(tmp_path)])
    table = (tmp_path / "bench-scale.md").read_text()
    assert table_row(table, "dag") == ["100.0", "3,000", "1,200", "400.0", "3,000", "1,200", "0.40"]
    assert (tmp_path / "bench-scale.png").read_bytes().startswith(b"\x89PNG")
    assert "written to" in capsys.readouterr().out


def test_the_report_names_a_size_that_was_never_measured(tmp_path):
    bench.save_measurements(scale_rows(100.0, 80.0, 120.0), tmp_path / "bench-1048567.json")
    with pytest.raises(SystemExit, match="no measurements at 50x .*make bench SCALES=50"):
        bench.main(["--scales", "1,50", "--report", "--data-dir", str(tmp_path)])
    assert not (tmp_path / "bench-scale.md").exists()


def test_a_configured_sqlite_store_keeps_artifacts_beside_its_database_not_in_the_working_folder(tmp_path, monkeypatch):
    # The history stage of the benchmark shares one SQLite store between two data directories.
    import mlflow

    store = tmp_path / "shared" / "mlflow.db"
    store.parent.mkdir()
    monkeypatch.setenv(tracking.TRACKING_URI_ENV, f"sqlite:///{store}")
    monkeypatch.setattr(tracking, "_uris_set_here", set())
    monkeypatch.chdir(tmp_path)
    tracking.configure(DataLayout(str(tmp_path / "data")))
    with mlflow.start_run() as run:
        mlflow.log_text("x", "note.txt")
    assert (tmp_path / "shared" / "artifacts" / run.info.run_id / "artifacts" / "note.txt").read_text() == "x"
    assert not (tmp_path / "mlruns").exists()
