"""Many users at once against the platform's own services, on loopback, bounded in count and time:
analysts querying HiveServer2 while a run registers its tables, readers loading the dashboards.

    with analyst_sessions(layout, port, queries) as query:
        run_users("8 analysts", 8, query, until=registered.is_set)

``make bench STAGES=load`` reports the figures (requests, errors, p50 and p95 latency); the tests
use the same loops on small data and require no error.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bankseg import hive
from bankseg.layout import DataLayout

# Every loop stops by itself: after this long, or this many requests per user, whatever ``until`` says.
MAX_SECONDS = 120.0
MAX_REQUESTS_PER_USER = 500


@dataclass
class LoadResult:
    name: str
    users: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def percentile(self, share: float) -> float:
        """The latency below which ``share`` of the successful requests fall, in seconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(share * 100) - 1]

    def summary(self) -> str:
        return (
            f"{self.name}: {self.users} users, {self.requests:,} requests in {self.seconds:.1f} s, "
            f"{len(self.errors)} errors, p50 {self.percentile(0.5) * 1000:.0f} ms, p95 {self.percentile(0.95) * 1000:.0f} ms"
        )


def run_users(
    name: str,
    users: int,
    request: Callable[[int, int], object],
    until: Callable[[], bool],
    min_seconds: float = 0.0,
    max_seconds: float = MAX_SECONDS,
    max_requests_per_user: int = MAX_REQUESTS_PER_USER,
) -> LoadResult:
    """``users`` threads call ``request(user, n)`` in a loop, each timed; a raised exception is an
    error (its message kept). Each stops once ``until()`` is true and ``min_seconds`` have passed,
    or after ``max_seconds``, or after ``max_requests_per_user`` requests."""
    result = LoadResult(name, users)
    lock = threading.Lock()
    started = time.monotonic()

    def user(number: int) -> None:
        for n in range(max_requests_per_user):
            elapsed = time.monotonic() - started
            if elapsed >= max_seconds or (elapsed >= min_seconds and until()):
                return
            began = time.monotonic()
            try:
                request(number, n)
            except Exception as error:  # every failure counts, whatever its kind
                with lock:
                    result.errors.append(f"user {number}, request {n}: {type(error).__name__}: {error}"[:500])
            else:
                with lock:
                    result.latencies.append(time.monotonic() - began)

    threads = [threading.Thread(target=user, args=(number,), name=f"{name} {number}") for number in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


@contextlib.contextmanager
def analyst_sessions(
    layout: DataLayout, port: int, queries: Sequence[str], expected: dict[str, list] | None = None
) -> Iterator[Callable[[int, int], list]]:
    """A request for ``run_users``: each user keeps one signed-in analyst session and runs ``queries``
    in turn; with ``expected``, an answer that differs from it is an error. The sessions close after."""
    connections: dict[int, Any] = {}

    def request(user: int, n: int) -> list:
        if user not in connections:
            connections[user] = hive.connect(layout, port=port)
        cursor = connections[user].cursor()
        sql = queries[n % len(queries)]
        cursor.execute(sql)
        rows = cursor.fetchall()
        if expected is not None and rows != expected[sql]:
            raise AssertionError(f"{sql}: {len(rows)} rows, not the {len(expected[sql])} expected")
        return rows

    try:
        yield request
    finally:
        for connection in connections.values():
            connection.close()


def dashboard_pages(base_url: str, paths: Sequence[str], must_contain: bytes = b"<main>") -> Callable[[int, int], object]:
    """Each request loads one page of ``paths`` (in turn) and needs a 200 whose body has ``must_contain``."""

    def request(user: int, n: int) -> int:
        path = paths[(user + n) % len(paths)]
        with urllib.request.urlopen(base_url + path, timeout=60) as response:
            body = response.read()
        if response.status != 200 or must_contain not in body:
            raise AssertionError(f"{path}: status {response.status}, {len(body)} bytes")
        return len(body)

    return request
