"""Rule 16: Fail fast. With ``on_error="fail"``, a failure surfaces as soon as it happens; it does not wait for
earlier calls still in flight (their results are dropped), also after a retrying element exhausts its attempts.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio

import pytest

import typedstream as ts

from tests.support.calls import InFlight
from tests.support.errors import Boom


# ------------------------------------------------------------------ rule 16: fail fast


async def test_rule16_fail_fast_does_not_wait_for_in_flight_calls() -> None:
    async def f(x: int) -> int:
        if x == 0:
            await asyncio.sleep(10)
        if x == 1:
            raise Boom(x)
        return x

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(Boom):
        await ts.source(range(10)).map(f, concurrency=3).collect()
    assert loop.time() - t0 < 1.0


# ----------------------------------------------------------------- rule 16 with retry: fail fast after retries


async def test_rule16_an_element_that_exhausts_its_retries_fails_fast() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        if x == 1:
            raise Boom(x)
        return await probe.call(x, 10.0)

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(Boom) as info:
        await ts.source(range(6)).map(f, concurrency=3, retry=ts.Retry(3, ts.Backoff.constant(0.01))).collect()
    assert loop.time() - t0 < 1.0
    assert "typedstream: gave up after 3 attempts" in info.value.__notes__
    assert probe.now == 0 and probe.finished == []
