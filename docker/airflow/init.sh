#!/usr/bin/env bash
# One-shot setup before the Airflow services start (the compose service airflow-init):
# the folders of the data directory, Airflow's metadata schema, and the admin login from .env.
# Safe to run again: every step is idempotent, and a changed admin password in .env takes effect.
set -euo pipefail

: "${BANKSEG_DATA_DIR:?BANKSEG_DATA_DIR is not set}"
: "${AIRFLOW_HOME:?AIRFLOW_HOME is not set}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS:?AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS is not set}"
: "${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE is not set}"
: "${BANKSEG_AIRFLOW_ADMIN_PASSWORD:?BANKSEG_AIRFLOW_ADMIN_PASSWORD is not set: copy .env.example to .env and fill in the secrets}"

# Landing folders are where extracts are dropped (landing/<date>/); Airflow's home holds its logs.
mkdir -p "${AIRFLOW_HOME}" "${BANKSEG_DATA_DIR}/landing"

echo "Airflow $(airflow version): migrating the metadata database"
airflow db migrate

# SimpleAuthManager reads each user's password from this JSON file and generates one only for a
# user missing from it. Writing the file here makes the admin password the one in .env. Python
# writes it, so any character in the password is encoded correctly.
umask 077
python - <<'PYTHON'
import json
import os

users = [entry.split(":")[0] for entry in os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",") if entry]
path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
with open(path, "w") as file:
    json.dump({user: os.environ["BANKSEG_AIRFLOW_ADMIN_PASSWORD"] for user in users}, file)
    file.write("\n")
print(f"Airflow login: {', '.join(users)} with BANKSEG_AIRFLOW_ADMIN_PASSWORD from .env")
PYTHON
