"""Rule 19: ``batch_within`` never emits an empty batch. It emits a list when ``n`` elements are in, or ``seconds``
after the first element of the list, and the rest at the end of the input.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import typedstream as ts


async def test_rule19_batch_within_emits_at_n() -> None:
    got = await ts.source(range(10)).batch_within(3, 5.0).collect()
    assert got == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


async def test_rule19_batch_within_emits_after_the_time_never_empty_and_flushes() -> None:
    async def bursts() -> AsyncIterator[int]:
        for i in range(7):
            if i in (2, 5):
                await asyncio.sleep(0.03)  # a gap much longer than the batch time
            yield i
        await asyncio.sleep(0.03)

    loop = asyncio.get_running_loop()
    stamps: list[tuple[float, list[int]]] = []
    async for b in ts.source(bursts()).batch_within(10, 0.01):
        stamps.append((loop.time(), b))
    batches = [b for _, b in stamps]
    assert batches == [[0, 1], [2, 3, 4], [5, 6]]
    assert all(batches)


async def test_rule19_batch_within_time_is_counted_from_the_first_element() -> None:
    async def slow() -> AsyncIterator[int]:
        for i in range(6):
            await asyncio.sleep(0.004)
            yield i

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    stamps: list[tuple[float, list[int]]] = []
    async for b in ts.source(slow()).batch_within(100, 0.01):
        stamps.append((loop.time() - t0, b))
    assert [x for _, b in stamps for x in b] == list(range(6))
    assert all(b for _, b in stamps)
    assert len(stamps) >= 2  # batches were cut by time, not only at the end
    assert all(len(b) <= 5 for _, b in stamps)  # ~3 elements arrive in 10 ms


async def test_rule19_batch_within_empty_input_emits_nothing() -> None:
    assert await ts.source(list[int]()).batch_within(3, 0.01).collect() == []

    async def nothing() -> AsyncIterator[int]:
        await asyncio.sleep(0.03)
        for x in list[int]():
            yield x

    assert await ts.source(nothing()).batch_within(3, 0.005).collect() == []
