"""Running a Source: collect, into, run, ``async for`` and ``async with src.stream()``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import assert_type

from .elements import Row, enrich, parse, show

import typedstream as ts


async def collect() -> None:
    src = ts.source(["1,a", "2,b"]) | ts.map(parse) | ts.map(enrich, concurrency=4)
    assert_type(await src.collect(), list[Row])
    assert_type(await (src | ts.batch(2)).collect(), list[list[Row]])
    assert_type(await ts.source(range(5)).map(show).collect(), list[str])
    rows: list[Row] = await src.collect()
    assert_type(rows, list[Row])


async def run() -> None:
    src = ts.source(range(5)) | ts.map(show)
    report = await src.run()
    assert_type(report, ts.RunReport)
    assert_type(report.items, int)
    assert_type(report.wall_time, float)
    assert_type(report.throughput, float)


async def iterate() -> None:
    src = ts.source(["1,a", "2,b"]) | ts.map(parse)
    async for row in src:
        assert_type(row, Row)
    assert_type(src.__aiter__(), AsyncIterator[Row])
    async for chunk in src | ts.batch(2):
        assert_type(chunk, list[Row])
    async for n in ts.source(range(3)).map(lambda x: x * 1.5):
        assert_type(n, float)
    names = [r.name async for r in src]
    assert_type(names, list[str])


async def stream_context() -> None:
    src = ts.source(range(100)) | ts.map(show)
    async with src.stream() as it:
        assert_type(it, AsyncIterator[str])
        async for s in it:
            assert_type(s, str)
            if s == "3":
                break
    async with (ts.source(range(3)) | ts.batch(2)).stream() as chunks:
        assert_type(await anext(chunks), list[int])
