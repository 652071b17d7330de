"""Where MLflow tracks runs and registers models, and the registry operations the platform uses.

By default MLflow uses a SQLite database and a local artifact folder under the data directory
(``DATA_DIR/mlflow``); ``make up`` serves the same store on 127.0.0.1:5000. Set
``MLFLOW_TRACKING_URI`` (for example ``http://mlflow:5000``) to use a tracking server instead;
the registry follows it unless ``MLFLOW_REGISTRY_URI`` says otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bankseg import credentials
from bankseg.layout import DataLayout
from bankseg.model_spec import CHAMPION_ALIAS, EXPERIMENT, REGISTERED_MODEL

TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
PREVIOUS_CHAMPION_TAG = "previous_champion_version"
# Tags every registered version with what it was trained on: the snapshot date, and the digest of
# its features (``bankseg.features.features_digest``), which the snapshot's manifest records too.
SNAPSHOT_DATE_TAG = "snapshot_date"
FEATURES_DIGEST_TAG = "features_digest"
MLFLOW_ADMIN_USER = "admin"


class NoChampionError(LookupError):
    """The registry has no champion model yet; the message says how to get one."""


class TrackingServerUnavailable(RuntimeError):
    """The tracking server or registry does not answer; the message names it and says what to do."""


# What the registry answers when the model or its champion alias does not exist; anything else (a
# server that is down, say) is not "no champion" and must not be taken for it.
NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
# A stopped server is reported at once, not after MLflow's minutes of retries.
HEALTH_TIMEOUT_SECONDS = 10


def require_server(uri: str) -> None:
    """Fail at once, naming the server, when a tracking server does not answer its health check."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=HEALTH_TIMEOUT_SECONDS).close()
    except urllib.error.HTTPError:
        return  # it answered: what the answer means is for the request itself
    except (OSError, ValueError) as error:
        raise TrackingServerUnavailable(
            f"the MLflow tracking server at {uri} ({TRACKING_URI_ENV}) does not answer: {error}. Start it (`make up`, "
            "or the compose service mlflow), then clear the task or let its retry run."
        ) from None


def default_tracking_uri(layout: DataLayout) -> str:
    return f"sqlite:///{Path(layout.mlflow).resolve()}/mlflow.db"


def default_artifact_root(layout: DataLayout) -> str:
    return (Path(layout.mlflow).resolve() / "artifacts").as_uri()


def new_experiment_artifact_root(layout: DataLayout, configured: str | None) -> str | None:
    """Where a new experiment keeps its artifacts: beside the database of a local SQLite store (the
    embedded default, or one the user configured), never MLflow's ``./mlruns`` in whatever folder
    the task runs in; a tracking server chooses its own (None)."""
    if configured is None:
        return default_artifact_root(layout)
    if configured.startswith("sqlite:///"):
        return (Path(configured.removeprefix("sqlite:///")).resolve().parent / "artifacts").as_uri()
    return None


# MLflow's set_tracking_uri also writes MLFLOW_TRACKING_URI into the environment: remember every URI
# this module put there, so that only a URI the user configured counts as a tracking server, even
# when something restores the environment to an earlier store's URI.
_uris_set_here: set[str] = set()


def configured_tracking_uri() -> str | None:
    """The tracking URI the user configured, if any."""
    value = os.environ.get(TRACKING_URI_ENV)
    return value if value and value not in _uris_set_here else None


def tracking_uri(layout: DataLayout) -> str:
    return configured_tracking_uri() or default_tracking_uri(layout)


def configure(layout: DataLayout) -> str:
    """Point this process's MLflow at the platform's store; returns the experiment id."""
    import mlflow

    configured = configured_tracking_uri()
    if configured is None:
        Path(layout.mlflow).mkdir(parents=True, exist_ok=True)
        _uris_set_here.add(default_tracking_uri(layout))
    elif configured.startswith(("http://", "https://")):
        require_server(configured)
    mlflow.set_tracking_uri(configured or default_tracking_uri(layout))
    experiment = mlflow.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        location = new_experiment_artifact_root(layout, configured)
        experiment_id = mlflow.create_experiment(EXPERIMENT, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def champion_version(layout: DataLayout):
    """The champion's registered model version, or raise ``NoChampionError``. Its ``version`` may be
    a number or a string depending on the store: compare ``str(version.version)``."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    configure(layout)
    try:
        version = MlflowClient().get_model_version_by_alias(REGISTERED_MODEL, CHAMPION_ALIAS)
    except MlflowException as error:
        if error.error_code not in NOT_FOUND_CODES:
            raise  # a registry that failed to answer (its message names it) is not one without a champion
        raise NoChampionError(
            f"no model has the alias {CHAMPION_ALIAS!r} in {REGISTERED_MODEL!r} at {tracking_uri(layout)}: "
            "run the DAG bank_segmentation_training (make run does it for you), or promote a version with "
            "`make promote VERSION=n`"
        ) from None
    return version


def version_trained_on(layout: DataLayout, snapshot_date: str) -> str | None:
    """The newest registered version trained on exactly the features the snapshot holds now (the same
    digest), if any."""
    from mlflow import MlflowClient

    from bankseg.publish import read_manifest

    digest = (read_manifest(Path(layout.snapshot(snapshot_date).root)) or {}).get("features_digest")
    if digest is None:
        return None
    configure(layout)
    versions = MlflowClient().search_model_versions(f"name = '{REGISTERED_MODEL}' and tags.{FEATURES_DIGEST_TAG} = '{digest}'")
    return str(max(int(version.version) for version in versions)) if versions else None


def model_parameters(layout: DataLayout, version: str):
    """A registered version's parameters (centroids, scaling, segments), read as data from its MLmodel
    file: nothing of the model is executed or unpickled."""
    from mlflow.models import Model

    from bankseg.segmentation import SegmentationParameters

    configure(layout)
    flavor = Model.load(f"models:/{REGISTERED_MODEL}/{version}").flavors["python_function"]
    return SegmentationParameters.from_dict(flavor["config"])


def model_history(layout: DataLayout) -> list[tuple]:
    """Every registered version with the figures its training logged (``bankseg.marts.MODEL_HISTORY_SCHEMA``)."""
    from datetime import datetime, timezone

    from mlflow import MlflowClient

    configure(layout)
    client = MlflowClient()
    rows = []
    for version in client.search_model_versions(f"name = '{REGISTERED_MODEL}'"):
        metrics = client.get_run(version.run_id).data.metrics
        # UTC wall-clock time, stored as TIMESTAMP_NTZ so no session or machine time zone shifts it.
        created = datetime.fromtimestamp(version.creation_timestamp / 1000, tz=timezone.utc).replace(tzinfo=None)
        rows.append((
            str(version.version), created, version.tags.get(SNAPSHOT_DATE_TAG), version.tags.get("quality_gates"),
            CHAMPION_ALIAS in (version.aliases or []),
            *[metrics.get(name) for name in ("chosen_k", "silhouette", "stability_ari", "stability_ari_mean", "min_share", "customers")],
        ))
    return sorted(rows, key=lambda row: int(row[0]))


def champion_metrics(layout: DataLayout) -> dict:
    """The champion's version and the figures its training run logged (silhouette, stability ...)."""
    from mlflow import MlflowClient

    version = champion_version(layout)
    return {"version": str(version.version), **MlflowClient().get_run(version.run_id).data.metrics}


def promote(layout: DataLayout, version: str) -> str:
    """Give ``version`` the champion alias; the version it replaces is remembered for a rollback."""
    from mlflow import MlflowClient

    configure(layout)
    client = MlflowClient()
    client.get_model_version(REGISTERED_MODEL, version)  # fails clearly for an unknown version
    try:
        current = str(champion_version(layout).version)
    except NoChampionError:
        current = None
    if current is not None and current != str(version):
        client.set_model_version_tag(REGISTERED_MODEL, str(version), PREVIOUS_CHAMPION_TAG, current)
    client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION_ALIAS, str(version))
    return f"{REGISTERED_MODEL} version {version} is now @{CHAMPION_ALIAS} (was {current or 'none'})"


def rollback(layout: DataLayout) -> str:
    """Give the champion alias back to the version the current champion replaced."""
    from mlflow import MlflowClient

    current = champion_version(layout)
    previous = current.tags.get(PREVIOUS_CHAMPION_TAG)
    if not previous:
        raise NoChampionError(f"version {current.version} replaced no earlier champion: nothing to roll back to")
    MlflowClient().set_registered_model_alias(REGISTERED_MODEL, CHAMPION_ALIAS, previous)
    return f"{REGISTERED_MODEL} version {previous} is @{CHAMPION_ALIAS} again (rolled back from {current.version})"


def serve_model_command(port: int) -> list[str]:
    """``mlflow models serve`` on the champion alias, on loopback; run it with ``MLFLOW_TRACKING_URI`` set
    and the venv's bin folder on ``PATH`` (the scoring server is uvicorn)."""
    return [
        str(Path(sys.executable).parent / "mlflow"), "models", "serve",
        "-m", f"models:/{REGISTERED_MODEL}@{CHAMPION_ALIAS}",
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port),
    ]


def write_auth_config(layout: DataLayout) -> Path:
    """MLflow's basic-auth settings for the platform's server (mode 0600): its own user store beside
    the tracking store, and no access for a signed-in user who was not granted any."""
    path = Path(layout.mlflow) / "basic_auth.ini"
    text = (
        "[mlflow]\n"
        "default_permission = NO_PERMISSIONS\n"
        f"database_uri = sqlite:///{Path(layout.mlflow) / 'basic_auth.db'}\n"
        f"admin_username = {MLFLOW_ADMIN_USER}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return path


def server_env(layout: DataLayout) -> dict[str, str]:
    """The environment of ``mlflow server --app-name basic-auth``: its settings, admin password and session secret."""
    return {
        "MLFLOW_AUTH_CONFIG_PATH": str(write_auth_config(layout)),
        credentials.MLFLOW_ADMIN_PASSWORD_ENV: credentials.mlflow_admin_password(layout),
        credentials.MLFLOW_SESSION_SECRET_ENV: credentials.mlflow_session_secret(layout),
    }


def serve_command(layout: DataLayout, host: str, port: int) -> list[str]:
    """``mlflow server`` over the platform's default store: the UI, tracking API and model registry,
    behind MLflow's basic-auth login."""
    mlflow = Path(sys.executable).parent / "mlflow"
    return [
        str(mlflow), "server", "--app-name", "basic-auth",
        "--backend-store-uri", default_tracking_uri(layout),
        # Clients read and write artifacts through the server, so a remote client needs no file access.
        "--serve-artifacts", "--artifacts-destination", default_artifact_root(layout),
        "--host", host, "--port", str(port), "--workers", "1",
    ]


if __name__ == "__main__":
    # What `make up` starts: python -m bankseg.tracking HOST PORT, with BANKSEG_DATA_DIR set.
    layout = DataLayout.from_env()
    Path(layout.mlflow).mkdir(parents=True, exist_ok=True)
    command = serve_command(layout, sys.argv[1], int(sys.argv[2]))
    os.execve(command[0], command, {**os.environ, **server_env(layout)})
