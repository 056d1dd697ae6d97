"""Calling services misused: the policy's functions and the cost are checked against what they get."""

from __future__ import annotations

import typedstream as ts


async def fetch(url: str) -> str:
    return url


def seconds_as_text(e: Exception) -> str:
    return "1"


def takes_an_int(x: int) -> float:
    return 1.0


def wrong_event(event: str) -> None:
    pass


async def misuse() -> None:
    limit = ts.RateLimit(10)
    _a = ts.Retry(3, delay_from=seconds_as_text)  # E: delay_from must give float | None
    _b = ts.Retry(3, on_retry=wrong_event)  # E: on_retry takes a RetryEvent
    _c = ts.Retry(3, deadline="30")  # E: deadline is seconds
    _d = ts.source(["a"]).map(fetch, rate_limit=limit, rate_cost=takes_an_int)  # E: the cost takes the element
    _e = ts.source(["a"]).map(fetch, rate_limit=10)  # E: rate_limit is a RateLimit
    _f = ts.source(["a"]).map(fetch, timeout="2s")  # E: timeout is seconds
    _g = ts.RateLimit(10, burst=1.5)  # E: burst is an int
    _h = ts.source(["a"]).map(fetch, rate_limits=limit)  # E: unknown option rate_limits
