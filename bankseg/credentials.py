"""Secrets of one data directory, generated on first use and kept in files only their owner can read.

    customer_key_secret(layout)   # keys the dashboards' customer hash
    mlflow_admin_password(layout) # the MLflow server's admin login
    hive_password(layout, user)   # HiveServer2's logins: the service user and the analyst

Each secret is taken from its environment variable when set (a deployment may pass them from its
secret store), else from ``DATA_DIR/secrets/<name>``, which is created once with mode 0600 and a value
from the operating system's random source. Losing the file changes the secret: the next runs key
customers differently from the published marts, so it belongs in the data directory's backups.
"""

from __future__ import annotations

import os
import secrets as random_source
from pathlib import Path

from bankseg.endpoints import HIVE_ANALYST_USER, HIVE_SERVICE_USER
from bankseg.layout import DataLayout

CUSTOMER_KEY_ENV = "BANKSEG_CUSTOMER_KEY_SECRET"
# MLflow's own names: its server reads them.
MLFLOW_ADMIN_PASSWORD_ENV = "MLFLOW_AUTH_ADMIN_PASSWORD"
MLFLOW_SESSION_SECRET_ENV = "MLFLOW_FLASK_SERVER_SECRET_KEY"
HIVE_PASSWORD_ENVS = {HIVE_SERVICE_USER: "BANKSEG_HIVE_PASSWORD", HIVE_ANALYST_USER: "BANKSEG_HIVE_ANALYST_PASSWORD"}


def secrets_folder(layout: DataLayout) -> Path:
    return Path(layout.root) / "secrets"


def read_or_create(path: Path, length: int = 32) -> str:
    """The secret in ``path``, written with mode 0600 (folder 0700) the first time."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = random_source.token_urlsafe(length)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: theirs is the secret
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value


def secret(layout: DataLayout, name: str, env: str) -> str:
    return os.environ.get(env) or read_or_create(secrets_folder(layout) / name)


def customer_key_secret(layout: DataLayout) -> str:
    return secret(layout, "customer_key", CUSTOMER_KEY_ENV)


def mlflow_admin_password(layout: DataLayout) -> str:
    """The MLflow server's admin login (user ``admin``), set when its user store is first created."""
    return secret(layout, "mlflow_admin_password", MLFLOW_ADMIN_PASSWORD_ENV)


def mlflow_session_secret(layout: DataLayout) -> str:
    """Signs the MLflow server's session cookies and CSRF tokens."""
    return secret(layout, "mlflow_session_secret", MLFLOW_SESSION_SECRET_ENV)


def hive_password_file(layout: DataLayout, user: str) -> Path:
    return secrets_folder(layout) / f"hive_{user}_password"


def hive_password(layout: DataLayout, user: str) -> str:
    """The HiveServer2 password of ``user`` (bankseg.endpoints: the service user or the analyst)."""
    return secret(layout, hive_password_file(layout, user).name, HIVE_PASSWORD_ENVS[user])
