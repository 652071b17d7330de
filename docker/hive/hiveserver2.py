"""HiveServer2 of the compose stack: the Spark Thrift Server that `make up` runs, over a Hive
metastore in Postgres.

    python docker/hive/hiveserver2.py      # the command of the compose service hiveserver2

Why the Spark Thrift Server and not Apache Hive's HiveServer2: the tables of database ``bank`` are
Spark SQL DDL (``USING parquet``, ``TIMESTAMP_NTZ`` columns; see hive/), which Hive itself cannot
create or read. The Thrift server speaks the HiveServer2 protocol on port 10000, so beeline, PyHive,
JDBC/ODBC tools and Airflow's HiveServer2Hook connect to it as they would to Hive.

The command is the embedded default's (bankseg.hiveserver2.thrift_server_command), so memory,
time zone and shuffle settings stay the same in both places. Two things differ:

* the metastore: the Postgres database ``metastore`` instead of embedded Derby under the data
  directory. Its settings, password included, go into a hive-site.xml that only this process can
  read, rather than onto the command line. On the first start DataNucleus creates the metastore's
  tables (datanucleus.schema.autoCreateAll): the pyspark wheel has no Hive schematool.
  The JDBC driver is Debian's libpostgresql-jdbc-java (/usr/share/java/postgresql.jar), put on
  the driver's class path beside the login and session guard classes.
* the listening address: every interface of the container, since clients come from the other
  containers and through the port published on the host's loopback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from bankseg.endpoints import DEFAULT_HIVE_PORT
from bankseg.hiveserver2 import server_classes, server_env, thrift_server_command
from bankseg.layout import DataLayout

POSTGRES_JDBC_JAR = "/usr/share/java/postgresql.jar"
POSTGRES_JDBC_DRIVER = "org.postgresql.Driver"
# Spark reads hive-site.xml from SPARK_CONF_DIR, which spark-submit puts on the driver's class path.
CONF_DIR = Path("/tmp/bankseg-hive-conf")
# The embedded default's metastore setting that hive-site.xml replaces here (a --conf
# spark.hadoop.* would win over hive-site.xml, so it must go).
DERBY_METASTORE_CONF = "spark.hadoop.javax.jdo.option.ConnectionURL"
BIND_HOST_CONF = "hive.server2.thrift.bind.host"
LISTEN_ON = "0.0.0.0"


def metastore_settings(env: dict[str, str]) -> dict[str, str]:
    """hive-site.xml: the metastore in Postgres, from the container's environment."""
    return {
        "javax.jdo.option.ConnectionURL": env["HIVE_METASTORE_JDBC_URL"],
        "javax.jdo.option.ConnectionDriverName": POSTGRES_JDBC_DRIVER,
        "javax.jdo.option.ConnectionUserName": env["HIVE_METASTORE_USER"],
        "javax.jdo.option.ConnectionPassword": env["HIVE_METASTORE_PASSWORD"],
        # An empty database gets its tables on the first start; no schematool is needed.
        "datanucleus.schema.autoCreateAll": "true",
        # The schema is DataNucleus's, not one stamped with a version by schematool.
        "hive.metastore.schema.verification": "false",
    }


def hive_site_xml(settings: dict[str, str]) -> str:
    properties = "".join(
        f"  <property>\n    <name>{escape(name)}</name>\n    <value>{escape(value)}</value>\n  </property>\n"
        for name, value in settings.items()
    )
    return f'<?xml version="1.0"?>\n<configuration>\n{properties}</configuration>\n'


def server_command(layout: DataLayout, class_path: tuple[str, ...], port: int = DEFAULT_HIVE_PORT) -> list[str]:
    """The embedded default's command without its Derby metastore, listening on all interfaces,
    with the Postgres JDBC driver on the class path after ``class_path``."""
    base = thrift_server_command(layout, port, (*class_path, POSTGRES_JDBC_JAR))
    *options, resource = base
    command: list[str] = []
    found = set()
    index = 0
    while index < len(options):
        token = options[index]
        if token in ("--conf", "--hiveconf"):
            key, _, _value = options[index + 1].partition("=")
            if key == DERBY_METASTORE_CONF:
                found.add(key)
                index += 2
                continue
            if key == BIND_HOST_CONF:
                found.add(key)
                command += [token, f"{BIND_HOST_CONF}={LISTEN_ON}"]
                index += 2
                continue
        command.append(token)
        index += 1
    missing = {DERBY_METASTORE_CONF, BIND_HOST_CONF} - found
    if missing:
        # bankseg.hiveserver2 changed how it sets these: fail here rather than start on Derby or loopback.
        raise RuntimeError(f"bankseg.hiveserver2.thrift_server_command no longer sets {sorted(missing)}: update {__file__}")
    return [*command, resource]


def main() -> None:
    layout = DataLayout.from_env()
    Path(layout.hive_warehouse).mkdir(parents=True, exist_ok=True)
    CONF_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    hive_site = CONF_DIR / "hive-site.xml"
    hive_site.touch(mode=0o600)
    hive_site.write_text(hive_site_xml(metastore_settings(dict(os.environ))))
    command = server_command(layout, (str(server_classes(layout)),))
    print("starting HiveServer2:", " ".join(command), file=sys.stderr, flush=True)
    # exec: the server becomes this container's main process and receives its stop signal.
    os.execve(command[0], command, {**os.environ, **server_env(layout), "SPARK_CONF_DIR": str(CONF_DIR)})


if __name__ == "__main__":
    main()
