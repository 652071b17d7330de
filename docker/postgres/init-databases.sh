#!/usr/bin/env bash
# Runs once, when the postgres service starts on an empty volume (docker-entrypoint-initdb.d):
# one role and one database per client, so none of them can read or drop another's tables.
#
#   role     database    client
#   airflow  airflow     Airflow's metadata database
#   hive     metastore   the Hive metastore of HiveServer2
#   mlflow   mlflow      MLflow's tracking and model registry store
#
# Passwords come from the environment (.env). Changing them in .env later does not change the
# roles: use ALTER ROLE ... PASSWORD, or start over with an empty postgres volume.
# Executed, not sourced (the file is executable), so these options stay in this script.
set -euo pipefail

create_database() {
  local role="$1" database="$2" password="$3"
  # psql variables (:"name" is quoted as an identifier, :'name' as a literal) keep any character
  # of the password from being read as SQL.
  psql --set ON_ERROR_STOP=1 --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB}" \
    --set role="${role}" --set database="${database}" --set password="${password}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
  echo "created role ${role} and database ${database}"
}

create_database airflow airflow "${BANKSEG_AIRFLOW_DB_PASSWORD:?BANKSEG_AIRFLOW_DB_PASSWORD is not set}"
create_database hive metastore "${BANKSEG_METASTORE_DB_PASSWORD:?BANKSEG_METASTORE_DB_PASSWORD is not set}"
create_database mlflow mlflow "${BANKSEG_MLFLOW_DB_PASSWORD:?BANKSEG_MLFLOW_DB_PASSWORD is not set}"
