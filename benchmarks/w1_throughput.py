"""W1: per-element overhead of a synchronous chain.

``n`` ints (a list) through ``map(+1) -> filter(x % 3) -> map(*2) -> filter(x % 5) -> map(str) -> count``, by
typedstream (``.into(count())``, ``async for``, with retry + skip on every stage, and as of a baseline git
revision loaded in the same process), a hand-written chain of async generators (the reference), aiostream,
asyncstdlib, streamable and a plain for loop, all calling the same module-level functions.

Targets: typedstream ``.into(count())`` <= 0.40x the hand-written chain; retry + skip on every stage <= 1.15x
without; <= 1.10x typedstream at the baseline revision (by default 026c561, the engine before per-stage timing).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from types import ModuleType
from typing import TypeVar, cast

import typedstream as ts

from harness import BaselineError, Contender, Row, Section, aio, load_baseline, measure, show_count, version

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_BASELINE = "026c561"  # the last commit before per-stage timing (issue 4): W1 with metrics vs without


def inc(x: int) -> int:
    return x + 1


def not_div3(x: int) -> bool:
    return x % 3 != 0


def dbl(x: int) -> int:
    return x * 2


def not_div5(x: int) -> bool:
    return x % 5 != 0


async def agen(xs: Iterable[T]) -> AsyncIterator[T]:
    for x in xs:
        yield x


async def amap(f: Callable[[T], U], it: AsyncIterable[T]) -> AsyncIterator[U]:
    async for x in it:
        yield f(x)


async def afilter(pred: Callable[[T], object], it: AsyncIterable[T]) -> AsyncIterator[T]:
    async for x in it:
        if pred(x):
            yield x


async def acount(it: AsyncIterable[object]) -> int:
    n = 0
    async for _ in it:
        n += 1
    return n


def baseline_labels(rev: str) -> tuple[str, str]:
    """The baseline row's name and what its verdict compares with: the default revision keeps its historical
    wording (it is the engine before per-stage metrics); any other is named by its revision."""
    if rev == DEFAULT_BASELINE:
        return f"typedstream  at {rev}, before stage timing", "the engine before them"
    return f"typedstream  at {rev}", f"typedstream at {rev}"


def _typedstream(data: list[int]) -> list[Contender]:
    pipeline = ts.source(data) | ts.map(inc) | ts.filter(not_div3) | ts.map(dbl) | ts.filter(not_div5) | ts.map(str)

    async def typedstream_into() -> int:
        return await pipeline.into(ts.count())

    # The same stages with error handling on every one: the success path must not pay for it.
    retry = ts.Retry(3, ts.Backoff.exponential())
    guard: ts.ElementOptions[int] = {"retry": retry, "on_error": "skip"}
    guarded = (
        ts.source(data)
        | ts.map(inc, **guard)
        | ts.filter(not_div3, **guard)
        | ts.map(dbl, **guard)
        | ts.filter(not_div5, **guard)
        | ts.map(str, of=int, retry=retry, on_error="skip")
    )

    async def typedstream_guarded() -> int:
        return await guarded.into(ts.count())

    async def typedstream_async_for() -> int:
        return await acount(pipeline)

    return [
        Contender.coro("typedstream  .into(count())", typedstream_into),
        Contender.coro("typedstream  async for", typedstream_async_for),
        Contender.coro("typedstream  retry= and on_error='skip' on every stage", typedstream_guarded),
    ]


def _baseline(data: list[int], b: ModuleType, name: str) -> Contender:
    async def typedstream_baseline() -> int:
        chain = b.source(data) | b.map(inc) | b.filter(not_div3) | b.map(dbl) | b.filter(not_div5) | b.map(str)
        return cast(int, await chain.into(b.count()))

    return Contender.coro(name, typedstream_baseline)


def _others(data: list[int], plain: Callable[[], int]) -> list[Contender]:
    import aiostream
    import asyncstdlib
    import streamable

    async def handwritten() -> int:
        return await acount(amap(str, afilter(not_div5, amap(dbl, afilter(not_div3, amap(inc, agen(data)))))))

    async def aiostream_chain() -> int:
        xs = (
            aiostream.stream.iterate(data)
            | aiostream.pipe.map(aio(inc))
            | aiostream.pipe.filter(not_div3)
            | aiostream.pipe.map(aio(dbl))
            | aiostream.pipe.filter(not_div5)
            | aiostream.pipe.map(aio(str))
        )
        count = 0
        async with xs.stream() as it:
            count = await acount(it)
        return count

    async def asyncstdlib_chain() -> int:
        a = asyncstdlib
        return await acount(a.map(str, a.filter(not_div5, a.map(dbl, a.filter(not_div3, a.map(inc, agen(data)))))))

    def streamable_pipeline() -> streamable.stream[str]:
        return streamable.stream(data).map(inc).filter(not_div3).map(dbl).filter(not_div5).map(str)

    async def streamable_async() -> int:
        return await acount(streamable_pipeline())

    def streamable_sync() -> int:
        return sum(1 for _ in streamable_pipeline())

    return [
        Contender.coro("hand-written async generators", handwritten, reference=True),
        Contender.coro(f"aiostream {version('aiostream')}", aiostream_chain),
        Contender.coro(f"asyncstdlib {version('asyncstdlib')}", asyncstdlib_chain),
        Contender.coro(f"streamable {version('streamable')}  async for", streamable_async),
        Contender.sync(f"streamable {version('streamable')}  sync for", streamable_sync),
        Contender.sync("plain for loop (sync)", plain),
    ]


def _verdicts(sec: Section, rows: list[Row], base_name: str, base_what: str) -> None:
    ref = next(r for r in rows if r.reference)
    ratio = rows[0].best / ref.best
    sec.data["typedstream_ratio"] = ratio
    sec.verdicts.append((f"typedstream <= 0.40x the hand-written chain: {ratio:.2f}x", ratio <= 0.40))
    guarded_row = next(r for r in rows if "retry=" in r.name)
    overhead = guarded_row.best / rows[0].best
    sec.data["guarded_overhead"] = overhead
    sec.verdicts.append((f"retry + skip on every stage <= 1.15x without: {overhead:.2f}x", overhead <= 1.15))
    base_row = next((r for r in rows if r.name == base_name), None)
    if base_row is not None:
        cost = rows[0].best / base_row.best
        sec.data["metrics_cost"] = cost
        sec.verdicts.append((f"with metrics <= 1.10x {base_what}: {cost:.2f}x", cost <= 1.10))


def w1(n: int, rounds: int, baseline_rev: str = DEFAULT_BASELINE) -> Section:
    data = list(range(n))

    def plain() -> int:
        count = 0
        for x in data:
            x = inc(x)
            if not_div3(x):
                x = dbl(x)
                if not_div5(x):
                    str(x)
                    count += 1
        return count

    expected = plain()
    base_name, base_what = baseline_labels(baseline_rev)
    contenders = _typedstream(data)
    skipped = ""
    try:
        contenders.append(_baseline(data, load_baseline(baseline_rev), base_name))
    except BaselineError as e:  # outside a git checkout, or no such revision
        skipped = f"typedstream at {baseline_rev} not loaded, its row skipped: {e}"
    contenders += _others(data, plain)
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=show_count)
    sec = Section(
        "W1",
        f"W1  {n:,} ints: map(+1) -> filter(x%3) -> map(*2) -> filter(x%5) -> map(str) -> count   "
        f"(best of {rounds}; expected count {expected:,})",
        rows,
    )
    if skipped:
        sec.lines.append(skipped)
    _verdicts(sec, rows, base_name, base_what)
    return sec
