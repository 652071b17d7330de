"""Runs HiveServer2 for one data directory: the Spark Thrift Server from the pyspark wheel.

    python -m bankseg.hiveserver2     # what `make up` and `make run` start (environment from bankseg.environment)

Its Derby metastore and warehouse live under the data directory (``hive/``), so tables, partitions
and views survive a restart and two data directories never share a metastore. Embedded Derby
admits one JVM: this server is the only program that opens the metastore. The Spark jobs only
write Parquet files, and every DDL goes through this server (``bankseg.hive``).

The server answers on 127.0.0.1 only, and only to its two logins (``bankseg.endpoints``):

* **Authentication** is HiveServer2's CUSTOM mode with ``PasswordFileAuthenticator``: user names
  and PBKDF2 hashes of their passwords (``bankseg.credentials``) in ``DATA_DIR/secrets/hiveserver2_users``,
  written at each start, mode 0600.
* **What a session may run** is checked by ``SessionGuard``, a Spark SQL extension that sees every
  analysed statement before it runs: nobody loads code into the server (ADD JAR, CREATE FUNCTION)
  or calls Java from SQL (reflect); file queries (``SELECT * FROM text.`/path```) are off, since
  they would read any file the server can, secrets included; analysts only read, and read the
  restricted database (birth dates, raw locations) only through the views of ``bank``.

Both are Java classes in ``hive/server/``, compiled here with javac against the pyspark jars the
first time the server starts (and again when they change): nothing is downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from bankseg import credentials
from bankseg.endpoints import (
    HIVE_ANALYST_USER,
    HIVE_DATABASE,
    HIVE_HOST,
    HIVE_RESTRICTED_DATABASE,
    HIVE_SERVICE_USER,
    hive_port,
    spark_home,
)
from bankseg.layout import REPOSITORY_ROOT, DataLayout
from bankseg.spark import SESSION_TIME_ZONE

# Analyst queries and DDL beside the daily jobs on the same cores: two threads and 1 GiB are enough
# for SQL over a few million rows, and leave the jobs their memory.
MASTER = "local[2]"
DRIVER_MEMORY_ENV = "BANKSEG_HIVE_DRIVER_MEMORY"
DEFAULT_DRIVER_MEMORY = "1g"

SERVER_SOURCES = REPOSITORY_ROOT / "hive" / "server"
AUTHENTICATOR_CLASS = "bankseg.hiveserver2.PasswordFileAuthenticator"
SESSION_GUARD_CLASS = "bankseg.hiveserver2.SessionGuard"
# The environment the two classes read (their names are repeated in the Java sources).
USERS_FILE_ENV = "BANKSEG_HIVE_USERS_FILE"
GUARD_ENV = {
    "BANKSEG_HIVE_SERVICE_USER": HIVE_SERVICE_USER,
    "BANKSEG_HIVE_DATABASE": HIVE_DATABASE,
    "BANKSEG_HIVE_RESTRICTED_DATABASE": HIVE_RESTRICTED_DATABASE,
}
# A login costs about 40 ms of PBKDF2 in the server: slow enough for a stolen hash, cheap per session.
PBKDF2_ITERATIONS = 100_000


def javac() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "javac").exists():
        return str(Path(java_home) / "bin" / "javac")
    found = shutil.which("javac")
    if not found:
        raise RuntimeError(
            "javac was not found: HiveServer2's login and session guard (hive/server/) are compiled on "
            "first start. Install a JDK (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME."
        )
    return found


def server_classes(layout: DataLayout) -> Path:
    """The compiled classes of ``hive/server/``, under ``DATA_DIR/hive/server-classes/<hash>``: built
    once per version of the sources and of Spark, in a folder of its own, then renamed into place."""
    sources = sorted(SERVER_SOURCES.rglob("*.java"))
    digest = hashlib.sha256(str(spark_home().resolve()).encode())
    for source in sources:
        digest.update(source.relative_to(SERVER_SOURCES).as_posix().encode() + b"\0" + source.read_bytes())
    target = Path(layout.root) / "hive" / "server-classes" / digest.hexdigest()[:16]
    if target.exists():
        return target
    building = target.with_name(f"{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    command = [javac(), "-nowarn", "-Xlint:none", "-d", str(building), "-cp", str(spark_home() / "jars" / "*"), *map(str, sources)]
    compiled = subprocess.run(command, capture_output=True, text=True, check=False)
    if compiled.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise RuntimeError(f"javac failed on {SERVER_SOURCES}:\n{compiled.stdout}{compiled.stderr}")
    try:
        building.rename(target)
    except OSError:  # another start built the same classes first
        shutil.rmtree(building, ignore_errors=True)
    return target


def password_hash(password: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> str:
    """One line's ``iterations:salt:hash`` for PasswordFileAuthenticator (base64, PBKDF2-HMAC-SHA256)."""
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"{iterations}:{base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()}"


def write_users_file(layout: DataLayout) -> Path:
    """``DATA_DIR/secrets/hiveserver2_users``: every login with the hash of its current password."""
    lines = [
        f"{user}:{password_hash(credentials.hive_password(layout, user), secrets.token_bytes(16))}\n"
        for user in (HIVE_SERVICE_USER, HIVE_ANALYST_USER)
    ]
    path = credentials.secrets_folder(layout) / "hiveserver2_users"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.writelines(lines)
    partial.replace(path)  # the server reads it at every login: never half written
    return path


def server_env(layout: DataLayout) -> dict[str, str]:
    """What the server's JVM reads besides its command line: the users file and the guard's names."""
    return {USERS_FILE_ENV: str(write_users_file(layout)), **GUARD_ENV}


def thrift_server_command(layout: DataLayout, port: int, class_path: tuple[str, ...]) -> list[str]:
    """The spark-submit command line of the Thrift server over ``layout``'s metastore. ``class_path``
    is the driver's, starting with the login and guard classes (``server_classes``)."""
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
        "spark.driver.extraClassPath": os.pathsep.join(class_path),
        "spark.sql.extensions": SESSION_GUARD_CLASS,
        # No SELECT * FROM parquet.`/any/path`: it reads every file the server's user can read.
        "spark.sql.runSQLOnFiles": "false",
    }
    hive_conf = {
        "hive.server2.thrift.bind.host": HIVE_HOST,
        "hive.server2.thrift.port": str(port),
        # Per-query log files would go to /tmp; the service log already has the queries.
        "hive.server2.logging.operation.enabled": "false",
        "hive.server2.authentication": "CUSTOM",
        "hive.server2.custom.authentication.class": AUTHENTICATOR_CLASS,
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
    command = thrift_server_command(layout, hive_port(), (str(server_classes(layout)),))
    # exec keeps this PID and process group, which `make down` stops; Spark's scripts exec Java in turn.
    os.execve(command[0], command, {**os.environ, **server_env(layout), "SPARK_LOCAL_IP": HIVE_HOST})


if __name__ == "__main__":
    main()
