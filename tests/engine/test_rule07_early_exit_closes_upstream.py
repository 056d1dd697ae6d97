"""Rule 7: Early exit closes upstream. ``take(n)``, ``first()`` or a ``break`` inside ``async with src.stream()``
close every stage upstream before control returns."""

from __future__ import annotations

import asyncio

import typedstream as ts

from tests.support.sources import acounting, counting


async def test_rule07_take_closes_upstream_before_returning() -> None:
    for make in ("sync", "async"):
        events: list[str] = []
        pulled: list[int] = []
        gen = counting(pulled, events=events) if make == "sync" else acounting(pulled, events=events)
        assert await ts.source(gen).map(lambda x: x + 1).take(3).collect() == [1, 2, 3]
        assert events == ["source"], make


async def test_rule07_take_after_async_stages_closes_upstream() -> None:
    events: list[str] = []

    async def work(x: int) -> int:
        await asyncio.sleep(0.001)
        return x

    src = ts.source(acounting([], events=events)).map(work, concurrency=3).buffer(2).map(work).take(4)
    assert await src.collect() == [0, 1, 2, 3]
    assert events == ["source"]


async def test_rule07_first_sink_closes_upstream() -> None:
    events: list[str] = []
    assert await ts.source(acounting([], events=events)).map(lambda x: x * 3).into(ts.first()) == 0
    assert events == ["source"]


async def test_rule07_break_inside_stream_closes_upstream() -> None:
    for make in ("sync", "async"):
        events: list[str] = []
        gen = counting([], events=events) if make == "sync" else acounting([], events=events)
        async with ts.source(gen).buffer(3).stream() as it:
            async for x in it:
                if x == 2:
                    break
        assert events == ["source"], make
