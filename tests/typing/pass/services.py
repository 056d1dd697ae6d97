"""Calling services: Retry(delay_from=, deadline=, on_retry=), RateLimit with rate_limit=/rate_cost=, timeout=;
the stage's types are unchanged, and the new report fields are typed."""

from __future__ import annotations

from typing import assert_type

import typedstream as ts

from .elements import Row, parse


class TooMany(Exception):
    retry_after: float | None = None


def retry_after(e: Exception) -> float | None:
    return e.retry_after if isinstance(e, TooMany) else None


def log_retry(event: ts.RetryEvent) -> None:
    assert_type(event.attempt, int)
    assert_type(event.delay, float)
    assert_type(event.elapsed, float)
    assert_type(event.exception, Exception)
    assert_type(event.element, object)
    assert_type(event.stage, str)


async def fetch(url: str) -> Row:
    return parse(url)


def cost(url: str) -> int:
    return len(url)


class TestClock:
    """What ``RateLimit(clock=)`` takes: ``time()`` and an async ``sleep(seconds)``."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float, /) -> None:
        self.now += seconds


async def services() -> None:
    limit = ts.RateLimit(400, per=1.0, burst=10)
    assert_type(ts.RateLimit(0.5, pause_on_retry_after=False).rate, float)
    retry = ts.Retry(5, ts.Backoff.exponential(0.1), retry_on=(TooMany, TimeoutError), delay_from=retry_after,
                     deadline=30.0, on_retry=log_retry)
    urls = ts.source(["a,1", "b,2"])
    assert_type(urls | ts.map(fetch, rate_limit=limit, retry=retry, timeout=2.0), ts.Source[Row])
    assert_type(urls.map(fetch, rate_limit=limit, rate_cost=cost, concurrency=50), ts.Source[Row])
    assert_type(urls.map(fetch, rate_limit=limit, rate_cost=lambda u: len(u) / 4), ts.Source[Row])
    assert_type(ts.map(fetch, rate_limit=limit, rate_cost=cost), ts.Stream[str, Row])
    assert_type(urls | ts.throttle(10, per=1.0, burst=2), ts.Source[str])
    assert_type(await limit.acquire(2), float)
    assert_type(limit.calls, int)
    assert_type(limit.waited, float)
    clock: ts.Clock = TestClock()
    assert_type(ts.RateLimit(5, clock=clock).burst, int)
    assert_type(ts.RateLimit(5, clock=TestClock()).per, float)
    report = await (urls | ts.map(fetch, rate_limit=limit, timeout=1.0)).run()
    stage = report.stages[1]
    assert_type(stage.rate_wait, float)
    assert_type(stage.retry_wait, float)
    assert_type(stage.timed_out, int)
    assert_type(report.to_dict()["stages"][1]["timed_out"], int)
