"""Rule 8: No call outlives its run. A call still in flight when the run ends is cancelled and awaited before the
run returns or raises."""

from __future__ import annotations

import asyncio

import pytest

import typedstream as ts

from tests.support.calls import InFlight
from tests.support.errors import Boom


async def test_rule08_slow_call_is_cancelled_before_collect_raises() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        if x == 3:
            await asyncio.sleep(0.005)
            raise Boom(x)
        return await probe.call(x, 10.0)

    with pytest.raises(Boom):
        await ts.source(range(10)).map(f, concurrency=4).collect()
    assert probe.now == 0
    assert sorted(probe.cancelled) == sorted(probe.started) and probe.started


async def test_rule08_slow_call_is_cancelled_before_take_returns() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0 if x == 0 else 0.001)

    assert len(await ts.source(range(100)).map(f, concurrency=4, ordered=False).take(5).collect()) == 5
    assert probe.now == 0
    assert 0 in probe.cancelled


async def test_rule08_call_inside_a_buffer_task_does_not_outlive_the_run() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0 if x == 2 else 0.0)

    assert await ts.source(range(10)).map(f).buffer(5).take(2).collect() == [0, 1]
    assert probe.now == 0 and probe.cancelled == [2]
