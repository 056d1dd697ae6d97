"""Rule 4: Nothing after the end. Once a run has completed or failed, no element is delivered and no user function
is called: workers, buffers and timers stop with it.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio

import pytest

import typedstream as ts

from tests.support.errors import Boom
from tests.support.sources import acounting


async def test_rule04_no_call_after_an_error_surfaces_concurrent_workers() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        if x == 5:
            raise Boom(x)
        await asyncio.sleep(0.005)
        return x

    with pytest.raises(Boom):
        await ts.source(range(1000)).map(f, concurrency=4).collect()
    n = len(calls)
    await asyncio.sleep(0.03)
    assert len(calls) == n


async def test_rule04_no_call_after_an_error_surfaces_behind_a_buffer() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0.001)
        return x

    def fail_at_3(x: int) -> int:
        if x == 3:
            raise Boom(x)
        return x

    with pytest.raises(Boom):
        await ts.source(range(1000)).map(f, concurrency=2).buffer(10).map(fail_at_3).collect()
    n = len(calls)
    await asyncio.sleep(0.03)
    assert len(calls) == n


async def test_rule04_nothing_delivered_after_an_error() -> None:
    def fail_at_3(x: int) -> int:
        if x == 3:
            raise Boom(x)
        return x

    got: list[int] = []
    async with ts.source(range(10)).map(fail_at_3).stream() as it:
        with pytest.raises(Boom):
            async for x in it:
                got.append(x)
        assert await anext(it, None) is None
        assert await anext(it, None) is None
    assert got == [0, 1, 2]


async def test_rule04_nothing_delivered_or_called_after_completion() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        return x

    async with ts.source(range(5)).map(f, concurrency=3).stream() as it:
        got = [x async for x in it]
        assert await anext(it, None) is None
    assert got == [0, 1, 2, 3, 4]
    await asyncio.sleep(0.01)
    assert sorted(calls) == [0, 1, 2, 3, 4]


async def test_rule04_no_call_after_take_is_satisfied() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0.001)
        return x

    assert await ts.source(acounting([])).map(f, concurrency=4).buffer(4).take(3).collect() == [0, 1, 2]
    n = len(calls)
    await asyncio.sleep(0.02)
    assert len(calls) == n
