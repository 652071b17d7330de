"""Runs HiveServer2 for one data directory: the Spark Thrift Server from the pyspark wheel.

    python -m bankseg.hiveserver2     # what `make up` and `make run` start (environment from bankseg.environment)

Its Derby metastore and warehouse live under the data directory (``hive/``), so tables, partitions
and views survive a restart and two data directories never share a metastore. Embedded Derby
admits one JVM: this server is the only program that opens the metastore. The Spark jobs only
write Parquet files, and every DDL goes through this server (``bankseg.hive``).

The server answers on 127.0.0.1 only, without authentication (any user name, no password).
"""

from __future__ import annotations

import os
from pathlib import Path

from bankseg.endpoints import HIVE_HOST, hive_port, spark_home
from bankseg.layout import DataLayout
from bankseg.spark import SESSION_TIME_ZONE

# Analyst queries and DDL beside the daily jobs on the same cores: two threads and 1 GiB are enough
# for SQL over a few million rows, and leave the jobs their memory.
MASTER = "local[2]"
DRIVER_MEMORY_ENV = "BANKSEG_HIVE_DRIVER_MEMORY"
DEFAULT_DRIVER_MEMORY = "1g"


def thrift_server_command(layout: DataLayout, port: int) -> list[str]:
    """The spark-submit command line of the Thrift server over ``layout``'s metastore."""
    conf = {
        "spark.driver.memory": os.environ.get(DRIVER_MEMORY_ENV, DEFAULT_DRIVER_MEMORY),
        "spark.driver.host": HIVE_HOST,
        "spark.driver.bindAddress": HIVE_HOST,
        # The web UI would be one more port; the service log has every statement.
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": layout.hive_warehouse,
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={layout.hive_metastore};create=true",
        # Derby's own log goes to the service log instead of a derby.log in the working directory.
        "spark.driver.extraJavaOptions": "-Dderby.stream.error.field=java.lang.System.err",
        # The same zone as the jobs, so date functions in analysts' SQL agree with the datasets.
        "spark.sql.session.timeZone": SESSION_TIME_ZONE,
        # Adaptive execution merges small shuffle partitions, so the count hardly matters for the
        # views' summaries (docs/benchmark.md has the measurement).
        "spark.sql.shuffle.partitions": "8",
    }
    hive_conf = {
        "hive.server2.thrift.bind.host": HIVE_HOST,
        "hive.server2.thrift.port": str(port),
        # Per-query log files would go to /tmp; the service log already has the queries.
        "hive.server2.logging.operation.enabled": "false",
    }
    command = [
        str(spark_home() / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--master", MASTER,
        "--name", "bankseg-hiveserver2",
    ]
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    for key, value in hive_conf.items():
        command += ["--hiveconf", f"{key}={value}"]
    return [*command, "spark-internal"]


def main() -> None:
    layout = DataLayout.from_env()
    Path(layout.hive_metastore).parent.mkdir(parents=True, exist_ok=True)
    command = thrift_server_command(layout, hive_port())
    # exec keeps this PID and process group, which `make down` stops; Spark's scripts exec Java in turn.
    os.execve(command[0], command, {**os.environ, "SPARK_LOCAL_IP": HIVE_HOST})


if __name__ == "__main__":
    main()
