"""Rule 21: Depth is free. A chain of 10,000 stages (sync, async, concurrent, timers, buffers) runs and fails
without a ``RecursionError``."""

from __future__ import annotations

import pytest

import typedstream as ts

from tests.support.calls import inc
from tests.support.errors import Boom
from tests.support.sources import acounting


def _chain_of_sync_maps(n: int) -> ts.Source[int]:
    src = ts.source(range(100))
    for _ in range(n):
        src = src.map(lambda x: x + 1)
    return src


async def test_rule21_ten_thousand_sync_maps() -> None:
    assert await _chain_of_sync_maps(10_000).collect() == [x + 10_000 for x in range(100)]


async def test_rule21_ten_thousand_async_maps() -> None:
    src = ts.source(range(5))
    for _ in range(10_000):
        src = src.map(inc)
    assert await src.collect() == [x + 10_000 for x in range(5)]


async def test_rule21_ten_thousand_alternating_sync_async_stages_with_take() -> None:
    events: list[str] = []
    src = ts.source(acounting([], events=events))
    for i in range(10_000):
        src = src.map(inc) if i % 2 else src.map(lambda x: x + 1)
    assert await src.take(3).collect() == [10_000, 10_001, 10_002]
    assert events == ["source"]


async def test_rule21_ten_thousand_async_boundaries_propagate_an_error() -> None:
    def fail_at_2(x: int) -> int:
        if x == 2:
            raise Boom(x)
        return x

    src = ts.source(range(10)).map(fail_at_2)
    for _ in range(10_000):
        src = src.map(inc)
    got: list[int] = []
    with pytest.raises(Boom):
        async with src.stream() as it:
            async for x in it:
                got.append(x)
    assert got == [10_000, 10_001]


async def test_rule21_thousands_of_timer_and_buffer_stages() -> None:
    src = ts.source(range(20))
    for i in range(3_000):
        src = src.timeout(5.0) if i % 2 else src.buffer(2)
    assert await src.collect() == list(range(20))


async def test_rule21_ten_thousand_concurrent_maps() -> None:
    src = ts.source(range(5))
    for _ in range(10_000):
        src = src.map(inc, concurrency=2, window=2)
    assert await src.collect() == [x + 10_000 for x in range(5)]
