"""Rule 1: Bounded prefetch. No stage pulls more than ``buffer + concurrency + window`` elements (plus one chunk)
ahead of demand. A slow consumer slows the source; memory stays bounded however long the input is.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import typedstream as ts

from tests.support.sources import acounting, counting

# ------------------------------------------------------------------------------------------------- helpers


async def max_ahead(src: ts.Source[Any], pulled: list[int], *, take: int, delay: float = 0.002) -> int:
    """Consume ``take`` elements slowly; the largest number of source elements pulled beyond those received."""
    worst = 0
    received = 0
    async with src.stream() as it:
        async for _ in it:
            received += 1
            await asyncio.sleep(delay)  # give every prefetching task time to fill up
            worst = max(worst, len(pulled) - received)
            if received >= take:
                break
    return worst


# ------------------------------------------------------------------------- rule 1: bounded prefetch


async def test_rule01_bounded_prefetch_plain_chain_async_source() -> None:
    """An async source is read element by element: a chain with no buffer or pool pulls at most one ahead."""
    pulled: list[int] = []

    async def add(x: int) -> int:
        return x + 1

    src = ts.source(acounting(pulled)).map(lambda x: x * 2).map(add).filter(lambda x: x >= 0)
    assert await max_ahead(src, pulled, take=30) <= 1


async def test_rule01_bounded_prefetch_plain_chain_sync_source() -> None:
    """A sync source read in chunks of 4: never more than one chunk ahead of the consumer."""
    pulled: list[int] = []

    async def add(x: int) -> int:
        return x + 1

    src = ts.source(counting(pulled), chunk_size=4).map(lambda x: x * 2).map(add).tap(lambda x: None)
    assert await max_ahead(src, pulled, take=40) <= 4


async def test_rule01_bounded_prefetch_default_chunking_of_an_infinite_sync_source() -> None:
    """Default chunking grows, but an infinite sync source under a slow consumer is still pulled boundedly."""
    pulled: list[int] = []
    src = ts.source(counting(pulled)).map(lambda x: x + 1)
    ahead = await max_ahead(src, pulled, take=20, delay=0.0005)
    assert ahead <= 32  # the chunk sizes after 20 elements are 1, 2, 4, 8, 16


async def test_rule01_bounded_prefetch_buffer() -> None:
    """buffer(n) pulls at most n elements ahead (plus the chunk it last handed on, at most n elements)."""
    n = 5
    pulled: list[int] = []
    src = ts.source(acounting(pulled)).buffer(n)
    ahead = await max_ahead(src, pulled, take=30)
    assert n <= ahead <= n + n  # it does prefetch, and boundedly


async def test_rule01_bounded_prefetch_buffer_of_sync_chunks() -> None:
    """buffer(n) over chunks of c: at most n + max(n, c) ahead (elements are counted, not chunks)."""
    n, c = 4, 8
    pulled: list[int] = []
    src = ts.source(counting(pulled), chunk_size=c).buffer(n)
    assert await max_ahead(src, pulled, take=40) <= n + max(n, c)


async def test_rule01_bounded_prefetch_concurrent_map_with_window() -> None:
    """A concurrent map pulls at most concurrency + window (+ one chunk, at most window) ahead."""
    c, window = 4, 8
    pulled: list[int] = []

    async def work(x: int) -> int:
        await asyncio.sleep(0.0005)
        return x

    for ordered in (True, False):
        pulled.clear()
        src = ts.source(acounting(pulled)).map(work, concurrency=c, window=window, ordered=ordered)
        ahead = await max_ahead(src, pulled, take=40)
        assert window <= ahead <= c + window + window, (ordered, ahead)


async def test_rule01_bounded_prefetch_buffer_and_pool_chain() -> None:
    """Bounds add up along a chain: buffer + concurrency + window + one chunk per prefetching stage."""
    pulled: list[int] = []

    async def work(x: int) -> int:
        await asyncio.sleep(0.0005)
        return x

    src = ts.source(acounting(pulled)).buffer(3).map(work, concurrency=2, window=4).map(lambda x: x).buffer(2)
    ahead = await max_ahead(src, pulled, take=40)
    assert ahead <= (3 + 3) + (2 + 4 + 4) + (2 + 2)


async def test_rule01_flat_map_does_not_drain_a_large_inner_iterable_ahead_of_demand() -> None:
    """flat_map's inner iterable is a source too: take(5) must not pull far more than one chunk of it."""
    inner_pulled: list[int] = []
    src = ts.source([0]).flat_map(lambda _: counting(inner_pulled, 100_000)).take(5)
    assert await src.collect() == [0, 1, 2, 3, 4]
    assert len(inner_pulled) <= 1024 + 5, f"pulled {len(inner_pulled)} inner elements to deliver 5"


async def test_rule01_flat_map_with_an_infinite_async_inner_iterable_delivers_incrementally() -> None:
    """An infinite async inner iterable under take(3) finishes: elements are delivered as they arrive."""
    events: list[str] = []

    def inner(_: int) -> AsyncIterator[int]:
        return acounting([], events=events)

    src = ts.source([0]).flat_map(inner).take(3)
    try:
        got = await asyncio.wait_for(src.collect(), 1.0)
    except TimeoutError:
        pytest.fail("flat_map drained an infinite inner async iterable before emitting anything")
    assert got == [0, 1, 2]
    assert events == ["source"]
