"""Composition with ``|``: stage objects compose with each other and onto a Source, and the composed pipeline runs
like the chained one (associativity is rule 24, in tests/laws/test_rule24_composition.py)."""

from __future__ import annotations

from typing import cast

import typedstream as ts


async def test_map_filter_take() -> None:
    src = ts.source(range(20)) | ts.map(lambda x: x + 1, of=int) | ts.filter(lambda x: x % 3, of=int) | ts.take(5)
    assert await src.collect() == [x for x in range(1, 21) if x % 3][:5]


async def test_break_with_stream_closes() -> None:
    async with (ts.source(range(100)) | ts.map(lambda x: x, of=int)).stream() as it:
        async for x in it:
            if x == 3:
                break


async def test_keep_stages_run_wherever_they_sit() -> None:
    """tap/filter/take_while/distinct(key) without of= compose on either side of streams and stage objects and
    behave as the same stages with of=."""
    seen: list[object] = []
    ints = ts.source(range(12))
    evens_shown = ts.filter(lambda x: x % 2 == 0, of=int) | ts.map(str, of=int)
    keep = ts.tap(seen.append) | ts.take(8) | ts.filter(bool)  # filter(bool) drops the 0
    assert isinstance(cast(object, keep), ts.Stream)  # a Stream at run time: what takes a stream takes it
    got = await (ints | keep | ts.take_while(lambda x: x < 7, of=int) | ts.distinct(lambda x: x // 2, of=int)).collect()
    assert got == [1, 2, 4, 6]
    assert seen == list(range(len(seen))) and len(seen) >= 8  # in order; at most a chunk beyond take(8) (rule 1)
    seen.clear()
    lead = ts.take(4) | ts.tap(seen.append)
    assert await (ints | lead | evens_shown).collect() == ["0", "2"]
    assert seen == [0, 1, 2, 3]
    assert await (ints | (ts.distinct(hash) | evens_shown)).collect() == [str(x) for x in range(0, 12, 2)]
