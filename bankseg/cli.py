"""``make run`` / ``make up`` / ``make down``: the platform's front door.

    python -m bankseg.cli run [--input FILE] [--rows N] [--run-date YYYY-MM-DD] [--data-dir DIR]
    python -m bankseg.cli up  [--data-dir DIR]
    python -m bankseg.cli down [--data-dir DIR]
    python -m bankseg.cli land-daily [--rows N]      # one landing folder per day, for backfills
    python -m bankseg.cli airflow ARGS...            # any airflow command on this data directory
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from mlflow.exceptions import MlflowException

from bankseg import airflow_cli, credentials, endpoints, environment, pipeline, quality, services, synthetic, tracking
from bankseg.layout import DataLayout, default_data_dir
from bankseg.model_spec import REGISTERED_MODEL
from bankseg.run_records import write_run_record
from bankseg.spark import iso_date

DAILY_DAG_ID = "bank_segmentation_daily"
TRAINING_DAG_ID = "bank_segmentation_training"
# The usual notebook approach on this data set, for comparison: KMeans k=6 on transactions (balance,
# amount, age), scored by Spark's silhouette on a test split.
BASELINE_CLUSTER_SIZES = "117,754 / 63,894 / 885 / 634 / 48 / 2"
# The last transaction date of the Kaggle file: a run on that date accepts its whole history.
DEFAULT_RUN_DATE = "2016-10-21"
DEFAULT_SEED = 42


def stage_landing_file(layout: DataLayout, run_date: str, input_path: Path | None, rows: int, seed: int) -> Path:
    """Put exactly one input file into the run date's landing folder and return it.

    Without ``--input`` the default data set is generated once per (rows, seed) and reused.
    """
    if input_path is None:
        input_path = Path(layout.root) / "generated" / f"bank_transactions_{rows}_seed{seed}.csv"
        if not input_path.exists():
            started = time.monotonic()
            input_path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed, so an interrupted run never leaves a truncated file to reuse.
            partial = input_path.with_suffix(".partial.csv")
            synthetic.generate_csv(partial, rows=rows, seed=seed)
            partial.replace(input_path)
            print(f"generated {rows:,} synthetic transactions in {time.monotonic() - started:.1f} s: {input_path}")
    elif not input_path.is_file():
        raise environment.PlatformError(f"--input {input_path} is not a file")
    landing = Path(layout.landing_for(run_date))
    if landing.exists():
        shutil.rmtree(landing)
    landing.mkdir(parents=True)
    suffix = ".csv.gz" if input_path.name.endswith(".gz") else ".csv"
    staged = landing / f"bank_transactions{suffix}"
    shutil.copyfile(input_path, staged)
    return staged


def run_dag(layout: DataLayout, dag_id: str, run_date: str, env: dict[str, str], log_path: Path, **kwargs) -> None:
    """``airflow dags test`` with a line per task as it ends; the lines also go to the run record."""
    progress = Path(layout.run_record(run_date, f"{dag_id}_tasks"))
    outcomes = airflow_cli.run_dag(dag_id, run_date, env, log_path, on_task=lambda outcome: print(outcome.line(), flush=True), **kwargs)
    write_run_record(str(progress), {"dag_id": dag_id, "run_date": run_date, "tasks": [outcome.__dict__ for outcome in outcomes]})


def command_run(args: argparse.Namespace) -> None:
    layout = DataLayout(str(Path(args.data_dir).resolve()))
    print(f"java: {environment.check_java()}")
    staged = stage_landing_file(layout, args.run_date, args.input, args.rows, args.seed)
    print(f"landing file for {args.run_date}: {staged}")
    env = environment.platform_env(layout)
    # HiveServer2, which the DAG's registration task needs, starts while Airflow's database migrates.
    started = time.monotonic()
    hiveserver2 = services.hiveserver2_service(layout)
    launched = services.launch_unless_running(hiveserver2, layout, env)
    airflow_cli.migrate_airflow_db(env)
    pid = services.await_running(hiveserver2, layout, launched)
    print(f"Airflow database migrated, HiveServer2 {endpoints.hive_jdbc_url()} up, after {time.monotonic() - started:.0f} s "
          f"(pid {pid}; it stays up for analysts, `make down` stops it)")
    log_path = Path(layout.root) / "logs" / f"{DAILY_DAG_ID}_{args.run_date}.log"
    print(f"running {DAILY_DAG_ID} for {args.run_date} through Airflow (log: {log_path}) ...")
    started = time.monotonic()
    try:
        run_dag(layout, DAILY_DAG_ID, args.run_date, env, log_path)
    except environment.PlatformError:
        for report in quality.failed_reports(layout, args.run_date):
            print(f"\n{quality.format_report(report)}\n", file=sys.stderr)
        raise
    summary = pipeline.run_summary(args.run_date, layout)
    print(f"{DAILY_DAG_ID} {args.run_date} succeeded in {time.monotonic() - started:.0f} s")
    if summary["scoring"] is None:
        train_first_champion(layout, args.run_date, env)
        summary = pipeline.run_summary(args.run_date, layout)
    print(f"\n{pipeline.format_summary(summary)}")
    print(f"run records         {Path(layout.root) / 'runs' / args.run_date}")
    print("\n".join(champion_lines(layout)))
    print(f"\nHive SQL            {analyst_beeline(layout)}  (user {endpoints.HIVE_ANALYST_USER})")
    print(f"Dashboards          {endpoints.dashboards_url()}  (`make up` serves them, with the Airflow and MLflow UIs)")
    print(f"MLflow UI, Airflow UI: `make up` ({endpoints.airflow_url()}, {endpoints.mlflow_url()})")


def analyst_beeline(layout: DataLayout) -> str:
    """beeline as the analyst, the password read from its file rather than given on the command line."""
    credentials.hive_password(layout, endpoints.HIVE_ANALYST_USER)  # creates the file on first use
    return endpoints.beeline_command(str(credentials.hive_password_file(layout, endpoints.HIVE_ANALYST_USER)))


def train_first_champion(layout: DataLayout, run_date: str, env: dict[str, str]) -> None:
    """No model is champion yet: train one on the day's features, then score the day with it."""
    log_path = Path(layout.root) / "logs" / f"{TRAINING_DAG_ID}_{run_date}.log"
    print(f"no champion model yet: running {TRAINING_DAG_ID} for {run_date} (log: {log_path}) ...")
    started = time.monotonic()
    # The training DAG's own date would be today's: train on, and record under, the day just run.
    run_dag(layout, TRAINING_DAG_ID, run_date, env, log_path, conf={"snapshot_date": run_date})
    training = pipeline.training_summary(run_date, layout)
    print(f"{TRAINING_DAG_ID} {run_date} succeeded in {time.monotonic() - started:.0f} s")
    if not training["champion"]:
        # The gates did their job: the day's data and features stand, but there is nothing to score with.
        print(
            f"model version {training['model_version']} is registered but NOT champion: "
            f"{'; '.join(training['gate_failures'])} (MLflow run {training['parent_run_id']}). "
            f"Train on more data, or use it anyway: make promote VERSION={training['model_version']}, then make run again."
        )
        return
    log_path = Path(layout.root) / "logs" / f"{DAILY_DAG_ID}_{run_date}_scored.log"
    print(f"scoring {run_date} with the new champion: the snapshot step of {DAILY_DAG_ID} again, on the published batch (log: {log_path}) ...")
    run_dag(layout, DAILY_DAG_ID, run_date, env, log_path, conf={"steps": ["snapshot"]})


def champion_lines(layout: DataLayout) -> list[str]:
    try:
        champion = tracking.champion_metrics(layout)
    except tracking.NoChampionError as missing:
        return [f"champion model      none: {missing}"]
    return [
        f"champion model      {REGISTERED_MODEL} version {champion['version']}: KMeans, "
        f"k={champion['chosen_k']:.0f}, {champion['customers']:,.0f} customers",
        f"  silhouette        {champion['silhouette']:.3f} exact on the evaluation sample",
        f"  stability         adjusted Rand index {champion['stability_ari']:.3f} (worst bootstrap refit; mean "
        f"{champion['stability_ari_mean']:.3f}); smallest segment {champion['min_share']:.1%} of customers",
        f"  baseline          transaction-level KMeans k=6 on 3 raw columns: silhouette 0.667, earned by isolating "
        f"outliers: clusters of {BASELINE_CLUSTER_SIZES}",
    ]


def command_up(args: argparse.Namespace) -> None:
    layout = DataLayout(str(Path(args.data_dir).resolve()))
    environment.check_java()
    env = environment.platform_env(layout)
    # Every stopped service starts at once, then each is awaited in turn. A platform half up is worse
    # than none: if one fails, what this command started is stopped again.
    platform = services.platform_services(layout)
    launched: dict[str, subprocess.Popen | None] = {}
    started = time.monotonic()
    try:
        for service in platform:
            launched[service.name] = services.launch_unless_running(service, layout, env)
            if launched[service.name] is not None:
                print(f"starting {service.name} (log: {service.log_file(layout)}) ...")
        for service in platform:
            pid = services.await_running(service, layout, launched[service.name])
            state = "already running" if launched[service.name] is None else f"healthy after {time.monotonic() - started:.0f} s"
            print(f"{service.name}: {state} (pid {pid})")
    except environment.PlatformError:
        for service in platform:
            if launched.get(service.name) is not None:
                services.stop_service(service, layout)
        raise
    password = airflow_cli.airflow_admin_password(env)
    print(f"\nAirflow UI   {endpoints.airflow_url()}")
    print(f"  login      {endpoints.AIRFLOW_ADMIN_USER} / {password}")
    print(f"Dashboards   {endpoints.dashboards_url()}  (also in the Airflow UI: Browse > Segmentation dashboards)")
    print(f"MLflow UI    {endpoints.mlflow_url()}  (experiments, model registry; tracking server over {layout.mlflow})")
    print(f"  login      {tracking.MLFLOW_ADMIN_USER} / {credentials.mlflow_admin_password(layout)}")
    print(f"HiveServer2  {endpoints.hive_jdbc_url()}  (JDBC/ODBC, PyHive; auth CUSTOM, i.e. user name and password)")
    print(f"  login      {endpoints.HIVE_ANALYST_USER} / {credentials.hive_password(layout, endpoints.HIVE_ANALYST_USER)}  (read-only: database bank)")
    print(f"  beeline    {analyst_beeline(layout)}")
    print("  database bank and its views appear with the first registered run (`make run`)")
    print(f"Stop with `make down` (same DATA_DIR: {layout.root}).")


def command_down(args: argparse.Namespace) -> None:
    layout = DataLayout(str(Path(args.data_dir).resolve()))
    for service in reversed(services.platform_services(layout)):
        stopped = services.stop_service(service, layout)
        print(f"{service.name}: {'stopped' if stopped else 'was not running'}")


def command_land_daily(args: argparse.Namespace) -> None:
    """One landing folder per transaction date, for a daily schedule or a backfill."""
    layout = DataLayout(str(Path(args.data_dir).resolve()))
    summary = synthetic.generate_daily_files(layout.landing, rows=args.rows, seed=args.seed)
    dates = sorted(summary["rows_by_date"])
    print(f"landed {summary['rows']:,} rows in {len(dates)} daily folders under {layout.landing} ({dates[0]} .. {dates[-1]})")
    print(
        f"backfill them (with `make up` running): make airflow ARGS='backfill create --dag-id {DAILY_DAG_ID} "
        f"--from-date {dates[0]} --to-date {dates[-1]}'"
    )


def command_promote(args: argparse.Namespace) -> None:
    print(tracking.promote(DataLayout(str(Path(args.data_dir).resolve())), args.version))


def command_rollback(args: argparse.Namespace) -> None:
    print(tracking.rollback(DataLayout(str(Path(args.data_dir).resolve()))))


def command_serve(args: argparse.Namespace) -> int:
    """``mlflow models serve`` on the champion alias, over this data directory's registry."""
    layout = DataLayout(str(Path(args.data_dir).resolve()))
    env = {**environment.platform_env(layout), tracking.TRACKING_URI_ENV: tracking.tracking_uri(layout)}
    print(f"serving the champion of {REGISTERED_MODEL} on http://127.0.0.1:{args.port}/invocations (Ctrl-C stops it)")
    return subprocess.run(tracking.serve_model_command(args.port), env=env, check=False).returncode


def command_airflow(args: argparse.Namespace) -> int:
    """Any airflow CLI command, with this data directory's Airflow home and connections."""
    layout = DataLayout(str(Path(args.data_dir).resolve()))
    return airflow_cli.airflow(args.airflow_args, environment.platform_env(layout), check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bankseg", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=default_data_dir(), help="where every output lives (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the daily pipeline end to end through Airflow")
    run.add_argument("--input", type=Path, default=None, help="a CSV (plain or .gz) in the Kaggle schema")
    run.add_argument("--rows", type=int, default=synthetic.DEFAULT_ROWS, help="rows to generate without --input")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed without --input")
    run.add_argument("--run-date", default=DEFAULT_RUN_DATE, type=iso_date, help="logical date of the run (default: %(default)s)")
    run.set_defaults(handler=command_run)
    commands.add_parser("up", help="start the local platform").set_defaults(handler=command_up)
    commands.add_parser("down", help="stop the local platform").set_defaults(handler=command_down)
    land = commands.add_parser("land-daily", help="generate data as one landing file per transaction date")
    land.add_argument("--rows", type=int, default=synthetic.DEFAULT_ROWS)
    land.add_argument("--seed", type=int, default=DEFAULT_SEED)
    land.set_defaults(handler=command_land_daily)
    promote = commands.add_parser("promote", help="give a registered model version the champion alias")
    promote.add_argument("--version", required=True)
    promote.set_defaults(handler=command_promote)
    commands.add_parser("rollback", help="give the champion alias back to the version it replaced").set_defaults(
        handler=command_rollback
    )
    serve = commands.add_parser("serve", help="serve the champion model over HTTP (mlflow models serve)")
    serve.add_argument("--port", type=int, default=5001)
    serve.set_defaults(handler=command_serve)
    airflow = commands.add_parser("airflow", help="run an airflow CLI command against this data directory")
    airflow.add_argument("airflow_args", nargs=argparse.REMAINDER)
    airflow.set_defaults(handler=command_airflow)

    args = parser.parse_args(argv)
    try:
        return args.handler(args) or 0
    except (environment.PlatformError, tracking.NoChampionError, tracking.TrackingServerUnavailable, MlflowException) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
