"""Sharing the event loop: a run whose stages never suspend (a sync source and sync stages) still gives the loop a
turn every few milliseconds, so timeouts, cancellation, progress and other tasks keep working, and a sync source
that is slow per item is not held back to fill large chunks."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import AsyncIterator, Iterator

import pytest

import typedstream as ts

N = 3_000_000  # about 1.5 s of work through the chain below on this machine, far more than any timeout here


def busy(x: int) -> int:
    return x * 2 + 1


def chain(n: int | None = N) -> ts.Source[int]:
    items = itertools.count() if n is None else range(n)
    return ts.source(items).map(busy).filter(lambda x: x % 3 != 0).map(busy)


async def test_a_fully_synchronous_run_can_be_timed_out() -> None:
    started = time.perf_counter()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(chain().run(), 0.05)
    assert time.perf_counter() - started < 0.5  # it used to return the full result after the whole run


async def test_an_endless_synchronous_source_can_be_cancelled() -> None:
    task = asyncio.create_task(chain(None).run())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(2):  # it used to hold the loop forever
            await task


async def test_other_tasks_get_turns_during_a_synchronous_run() -> None:
    turns = 0
    done = False

    async def ticker() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(ticker())
    started = time.perf_counter()
    await chain(N // 3).run()
    took = time.perf_counter() - started
    done = True
    await t
    assert turns >= 10, (turns, took)  # at least one turn every few milliseconds; it used to get none


async def test_progress_is_reported_during_a_synchronous_run() -> None:
    snapshots: list[ts.RunReport] = []
    await chain(N // 3).run(on_progress=snapshots.append, interval=0.02)
    assert snapshots, "no progress snapshot while the run held the loop"
    assert all(s.outcome == "running" for s in snapshots)
    assert snapshots[-1].stage("source").items_out > 0


def one_per_ms(n: int, made: list[float]) -> Iterator[int]:
    for i in range(n):
        time.sleep(0.001)  # a slow sync source: a file on a slow disk, a paged API read synchronously
        made.append(time.perf_counter())
        yield i


async def test_a_slow_sync_source_is_not_held_back_to_fill_a_chunk() -> None:
    made: list[float] = []
    latency: list[float] = []
    async for i in ts.source(one_per_ms(300, made)):
        latency.append(time.perf_counter() - made[i])  # from when the source made it to when it arrived
    assert len(latency) == 300
    assert statistics.median(latency) < 0.005, statistics.median(latency)  # it used to be ~40 ms


async def test_chunks_still_grow_to_their_maximum_for_a_fast_source() -> None:
    sizes: list[int] = []

    async def consume(chunks: AsyncIterator[list[int]]) -> None:
        async for chunk in chunks:
            sizes.append(len(chunk))

    await ts.source(range(200_000)).map(busy).into(ts.Sink(consume, name="sizes"))
    assert sum(sizes) == 200_000
    assert max(sizes) == 1024 and sizes[:4] == [1, 2, 4, 8]
