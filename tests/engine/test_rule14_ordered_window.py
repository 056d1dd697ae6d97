"""Rule 14: Ordered means ordered, and busy. An ordered concurrent stage emits results in input order, and its free
workers keep working behind a slow head element until ``window`` elements are undelivered.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio

import pytest

import typedstream as ts

from tests.support.calls import until


@pytest.mark.parametrize("window", [4, 8, 13])
async def test_rule14_ordered_map_slots_busy_behind_a_slow_head(window: int) -> None:
    release = asyncio.Event()
    started: list[int] = []

    async def f(x: int) -> int:
        started.append(x)
        if x == 0:
            await release.wait()
        else:
            await asyncio.sleep(0.0005)
        return x

    async def consume() -> list[int]:
        return await ts.source(range(50)).map(f, concurrency=4, window=window).collect()

    task = asyncio.create_task(consume())
    await until(lambda: len(started) >= window)
    await asyncio.sleep(0.02)  # nothing more may start while the head is pending
    assert sorted(started) == list(range(window))
    release.set()
    assert await task == list(range(50))


async def test_rule14_default_window_is_32_times_concurrency() -> None:
    release = asyncio.Event()
    started: list[int] = []

    async def f(x: int) -> int:
        started.append(x)
        if x == 0:
            await release.wait()
        return x

    task = asyncio.create_task(ts.source(range(200)).map(f, concurrency=2).collect())
    await until(lambda: len(started) >= 64)
    await asyncio.sleep(0.01)
    assert len(started) == 64
    release.set()
    assert await task == list(range(200))


async def test_rule14_ordered_map_keeps_order_with_random_delays() -> None:
    async def f(x: int) -> int:
        await asyncio.sleep(0.001 * ((x * 7) % 5))
        return x * x

    for c, w in ((2, None), (4, 4), (8, 16)):
        got = await ts.source(range(60)).map(f, concurrency=c, window=w).collect()
        assert got == [x * x for x in range(60)]
