from __future__ import annotations

import asyncio
from typing import Any

import pytest

import typedstream as ts


async def test_map_filter_take() -> None:
    src = ts.source(range(20)) | ts.map(lambda x: x + 1, of=int) | ts.filter(lambda x: x % 3, of=int) | ts.take(5)
    assert await src.collect() == [x for x in range(1, 21) if x % 3][:5]


async def test_async_map_concurrent() -> None:
    async def slow(x: int) -> int:
        await asyncio.sleep(0.001)
        return x * 10

    assert await ts.source(range(10)).map(slow, concurrency=4).collect() == [x * 10 for x in range(10)]


async def test_break_with_stream_closes() -> None:
    async with (ts.source(range(100)) | ts.map(lambda x: x, of=int)).stream() as it:
        async for x in it:
            if x == 3:
                break


async def test_rule24_stage_objects_regroup() -> None:
    """(a | b) | c == a | (b | c) when b and c are stage objects (take, batch, flatten, distinct)."""
    xs = list(range(23))
    show = ts.map(str)
    left = ts.source(xs) | ((show | ts.take(9)) | ts.batch(4))
    right = ts.source(xs) | (show | (ts.take(9) | ts.batch(4)))
    assert await left.collect() == await right.collect() == [["0", "1", "2", "3"], ["4", "5", "6", "7"], ["8"]]
    regrouped = ts.source(xs) | (ts.batch(5) | ts.take(2) | ts.flatten())
    assert await regrouped.collect() == xs[:10]
    deduped = ts.source([3, 1, 3, 2, 1]) | (ts.distinct() | ts.take(2))
    assert await deduped.collect() == [3, 1]


def test_misspelled_option_is_rejected_at_build_time() -> None:
    options: dict[str, Any] = {"concurrancy": 4}
    with pytest.raises(TypeError, match=r"stage 'str': unknown option 'concurrancy'"):
        ts.map(str, **options)
    with pytest.raises(TypeError, match="unknown option"):
        misspelled: dict[str, Any] = {"windw": 3}
        ts.source([1]).map(str, **misspelled)
