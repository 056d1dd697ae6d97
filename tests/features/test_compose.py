"""Composition with ``|``: stage objects compose with each other and onto a Source, and the composed pipeline runs
like the chained one (associativity is rule 24, in tests/laws/test_rule24_composition.py)."""

from __future__ import annotations

import typedstream as ts


async def test_map_filter_take() -> None:
    src = ts.source(range(20)) | ts.map(lambda x: x + 1, of=int) | ts.filter(lambda x: x % 3, of=int) | ts.take(5)
    assert await src.collect() == [x for x in range(1, 21) if x % 3][:5]


async def test_break_with_stream_closes() -> None:
    async with (ts.source(range(100)) | ts.map(lambda x: x, of=int)).stream() as it:
        async for x in it:
            if x == 3:
                break
