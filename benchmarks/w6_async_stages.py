"""W6: per-element overhead of async element stages called one at a time.

``n`` ints through three ``map`` stages with an async function (``concurrency=1``: an async boundary each, one
call per element, every call timed and guarded), into ``count()``; against a hand-written chain of three async
generators awaiting the same function. With ``--baseline REV``, the same pipeline on typedstream at that git
revision, in the same process. Reported only (no target): W1 covers fused sync stages, W2 the worker pool; this
is the path in between, which neither of them exercises.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from types import ModuleType
from typing import Any, cast

import typedstream as ts

from harness import BaselineError, Contender, Section, load_baseline, measure, show_count


async def inc(x: int) -> int:
    return x + 1


async def _items(xs: Iterable[int]) -> AsyncIterator[int]:
    for x in xs:
        yield x


async def _amap(it: AsyncIterable[int]) -> AsyncIterator[int]:
    async for x in it:
        yield await inc(x)


def _typedstream(n: int, package: ModuleType, name: str) -> Contender:
    async def run() -> int:
        pipeline: Any = package.source(range(n)).map(inc).map(inc).map(inc)
        return cast(int, await pipeline.into(package.count()))

    return Contender.coro(name, run)


def w6(n: int, rounds: int, baseline_rev: str | None = None) -> Section:
    async def hand_written() -> int:
        count = 0
        async for _ in _amap(_amap(_amap(_items(range(n))))):
            count += 1
        return count

    contenders = [
        _typedstream(n, ts, "typedstream  map(async) x3"),
        Contender.coro("hand-written async generators", hand_written, reference=True),
    ]
    skipped = ""
    if baseline_rev is not None:
        try:
            contenders.append(_typedstream(n, load_baseline(baseline_rev), f"typedstream  at {baseline_rev}"))
        except BaselineError as e:
            skipped = f"typedstream at {baseline_rev} not loaded, its row skipped: {e}"
    rows = measure(contenders, rounds, check=lambda r: r == n, show=show_count)
    title = f"W6  {n:,} ints through map(async) x3 at concurrency 1 -> count   (best of {rounds})"
    sec = Section("W6", title, rows)
    if skipped:
        sec.lines.append(skipped)
    ratio = rows[0].best / rows[1].best
    sec.data["typedstream_vs_hand_written"] = ratio
    sec.verdicts.append((f"map(async) x3: {ratio:.2f}x the hand-written chain, {rows[0].best / n * 1e6:.2f} us per element", None))
    return sec
