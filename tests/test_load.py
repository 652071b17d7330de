"""The load loops: every request counted, failures kept with their message, and every loop bounded."""

from __future__ import annotations

import time

import pytest

from bankseg.load import LoadResult, run_users


def test_every_request_is_counted_and_each_failure_kept_with_its_message():
    def request(user: int, n: int) -> None:
        if n == 2:
            raise ValueError(f"refused {user}")

    result = run_users("users", 3, request, until=lambda: False, max_requests_per_user=4)
    assert result.requests == 12 and len(result.latencies) == 9
    assert sorted(result.errors) == [f"user {user}, request 2: ValueError: refused {user}" for user in range(3)]


def test_a_loop_stops_after_its_time_even_if_nothing_tells_it_to():
    started = time.monotonic()
    result = run_users("slow", 2, lambda user, n: time.sleep(0.05), until=lambda: False, max_seconds=0.3)
    assert 0.3 <= time.monotonic() - started < 1.0
    assert 4 <= result.requests <= 16


def test_until_stops_the_loop_only_after_the_minimum_time():
    result = run_users("eager", 1, lambda user, n: time.sleep(0.01), until=lambda: True, min_seconds=0.2)
    assert result.seconds >= 0.2 and result.requests >= 5
    assert run_users("done", 4, lambda user, n: None, until=lambda: True).requests == 0


def test_percentiles_are_of_the_successful_requests():
    result = LoadResult("fixed", 1, latencies=[0.01 * i for i in range(1, 101)], errors=["one"])
    # Of 0.01 .. 1.00 s, inclusive percentiles: the 50th is 0.505 s, the 95th 0.9505 s.
    assert result.percentile(0.5) == pytest.approx(0.505)
    assert result.percentile(0.95) == pytest.approx(0.9505)
    assert result.requests == 101
    assert result.summary() == "fixed: 1 users, 101 requests in 0.0 s, 1 errors, p50 505 ms, p95 950 ms"
