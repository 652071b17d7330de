#!/usr/bin/env bash
# One Spark standalone daemon in the foreground, from the pyspark wheel's spark-class: the same
# classes that bankseg.standalone_cluster starts for the cluster test.
#
#   spark.sh master    org.apache.spark.deploy.master.Master on SPARK_MASTER_HOST:SPARK_MASTER_PORT
#   spark.sh worker    org.apache.spark.deploy.worker.Worker registered with SPARK_MASTER_URL
#
# The role is the only argument, so the master and every worker run the same image.
set -euo pipefail

role="${1:-}"
case "${role}" in
  master)
    # The host name the workers and spark-submit use (spark://spark-master:7077); the master binds
    # to the address it resolves to, inside the compose network only.
    exec spark-class org.apache.spark.deploy.master.Master \
      --host "${SPARK_MASTER_HOST:?SPARK_MASTER_HOST is not set}" \
      --port "${SPARK_MASTER_PORT:?SPARK_MASTER_PORT is not set}" \
      --webui-port "${SPARK_MASTER_WEBUI_PORT:?SPARK_MASTER_WEBUI_PORT is not set}"
    ;;
  worker)
    # Cores and memory this worker offers to executors; one executor needs spark.executor.memory
    # (BANKSEG_SPARK_EXECUTOR_MEMORY) of it.
    exec spark-class org.apache.spark.deploy.worker.Worker \
      --cores "${SPARK_WORKER_CORES:?SPARK_WORKER_CORES is not set}" \
      --memory "${SPARK_WORKER_MEMORY:?SPARK_WORKER_MEMORY is not set}" \
      --webui-port "${SPARK_WORKER_WEBUI_PORT:?SPARK_WORKER_WEBUI_PORT is not set}" \
      --work-dir "${SPARK_WORKER_DIR:-/opt/bankseg/work}" \
      "${SPARK_MASTER_URL:?SPARK_MASTER_URL is not set}"
    ;;
  *)
    echo "usage: spark.sh master|worker (got '${role}')" >&2
    exit 64
    ;;
esac
