"""Health checks of the compose services: exit 0 when the service answers, 1 when it does not.

    python docker/healthcheck.py http URL             URL answers 200 (Airflow, MLflow, a Spark worker)
    python docker/healthcheck.py spark-master URL     the master's JSON status (URL = its /json/) is ALIVE
    python docker/healthcheck.py hiveserver2 PORT     HiveServer2 on this container runs SELECT 1 for the service user

Python instead of curl: the image has no curl, and the HiveServer2 check is the platform's own
(bankseg.services.hiveserver2_answers), which `make up` uses too.
"""

from __future__ import annotations

import json
import sys
import urllib.request

TIMEOUT_SECONDS = 10


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def spark_master_alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return json.load(response).get("status") == "ALIVE"
    except (OSError, ValueError):
        return False


def hiveserver2_ok(port: str) -> bool:
    # Imported here: the other checks run every few seconds and need no Thrift client.
    from bankseg import credentials
    from bankseg.endpoints import HIVE_SERVICE_USER
    from bankseg.layout import DataLayout
    from bankseg.services import hiveserver2_answers

    # The container's environment has the password (BANKSEG_HIVE_PASSWORD, from .env).
    password = lambda: credentials.hive_password(DataLayout.from_env(), HIVE_SERVICE_USER)  # noqa: E731
    return hiveserver2_answers("127.0.0.1", int(port), password, timeout_seconds=TIMEOUT_SECONDS)


CHECKS = {"http": http_ok, "spark-master": spark_master_alive, "hiveserver2": hiveserver2_ok}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in CHECKS:
        print(f"usage: healthcheck.py {{{'|'.join(CHECKS)}}} TARGET", file=sys.stderr)
        return 2
    return 0 if CHECKS[argv[0]](argv[1]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
