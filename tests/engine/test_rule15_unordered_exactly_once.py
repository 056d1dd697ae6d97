"""Rule 15: Unordered means exactly once. ``ordered=False`` emits each result exactly once, as soon as it is ready.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio
from collections import Counter

import typedstream as ts


async def test_rule15_unordered_map_emits_each_result_exactly_once() -> None:
    async def f(x: int) -> int:
        await asyncio.sleep(0.001 * ((x * 7) % 5))
        return x % 10  # duplicates on purpose: a multiset comparison

    got = await ts.source(range(100)).map(f, concurrency=6, ordered=False).collect()
    assert Counter(got) == Counter(x % 10 for x in range(100))


async def test_rule15_unordered_map_emits_out_of_order() -> None:
    async def f(x: int) -> int:
        await asyncio.sleep(0.02 if x == 0 else 0.0)
        return x

    got = await ts.source(range(10)).map(f, concurrency=4, ordered=False).collect()
    assert sorted(got) == list(range(10))
    assert got[0] != 0 and got[-1] == 0
