"""Random cancellation: random chains (skip with dead letters, merge, batch_within, timeout, pools, buffers),
cancelled at random points, sometimes twice, or stopped early by ``take``. After every example no task is
pending, no async generator is open, every source's finalizer ran exactly once, and every one-to-one stage's
counts balance (``items_in == items_out + filtered + skipped + failed``)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream as ts

from tests.support.laws import LAWS
from tests.support.leaks import example_scope


@dataclass
class Sources:
    """The sources of one example, counting how often each one's finalizer ran."""

    closed: Counter[str] = field(default_factory=Counter[str])
    made: list[str] = field(default_factory=list[str])

    def sync(self, label: str, n: int) -> Iterator[int]:
        self.made.append(label)
        try:
            yield from range(n)
        finally:
            self.closed[label] += 1

    async def slow(self, label: str, n: int) -> AsyncIterator[int]:
        self.made.append(label)
        try:
            for x in range(n):
                await asyncio.sleep(0.0005)
                yield x
        finally:
            self.closed[label] += 1


async def nap(x: int) -> int:
    await asyncio.sleep(0.0005 * (x % 3))
    return x


def flaky(x: int) -> int:
    if x % 5 == 3:
        raise ValueError(x)
    return x


def stage(kind: str, letters: list[ts.DeadLetter[int]]) -> Callable[[ts.Source[int], Sources], ts.Source[int]]:
    def attach(src: ts.Source[int], sources: Sources) -> ts.Source[int]:
        if kind == "map":
            return src.map(lambda x: x + 1)
        if kind == "async map":
            return src.map(nap)
        if kind in ("pool", "unordered pool"):
            return src.map(nap, concurrency=3, ordered=kind == "pool")
        if kind == "filter":
            return src.filter(lambda x: x % 2 == 0)
        if kind == "skip with dead letters":
            return src.map(flaky, on_error="skip", dead_letter=ts.for_each(letters.append))
        if kind == "pooled skip":
            return src.map(flaky, concurrency=2, on_error="skip", dead_letter=ts.for_each(letters.append))
        if kind == "merge":
            return src.merge(ts.source(sources.slow(f"merged{len(sources.made)}", 30)))
        if kind == "batch_within":
            return src.batch_within(4, 0.002).flatten()
        if kind == "timeout":
            return src.timeout(5.0)
        if kind == "buffer":
            return src.buffer(3)
        raise AssertionError(kind)

    return attach


KINDS = [
    "map", "async map", "pool", "unordered pool", "filter", "skip with dead letters", "pooled skip", "merge",
    "batch_within", "timeout", "buffer",
]


@dataclass(frozen=True)
class Case:
    slow_source: bool
    kinds: list[str]
    cancel_after: float
    twice: bool
    take: int | None


cases = st.builds(
    Case,
    st.booleans(),
    st.lists(st.sampled_from(KINDS), min_size=1, max_size=5),
    st.floats(0.0, 0.015),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 20)),
)


@settings(LAWS, max_examples=150)
@given(cases)
async def test_a_cancelled_or_stopped_run_leaves_nothing_behind_and_its_counts_balance(case: Case) -> None:
    sources = Sources()
    letters: list[ts.DeadLetter[int]] = []
    reports: list[ts.RunReport] = []
    with example_scope():
        src = ts.source(sources.slow("main", 200) if case.slow_source else sources.sync("main", 2000))
        for kind in case.kinds:
            src = stage(kind, letters)(src, sources)
        if case.take is not None:
            src = src.take(case.take)
        task = asyncio.create_task(src.run(on_report=reports.append))
        await asyncio.sleep(case.cancel_after)
        task.cancel()
        if case.twice:
            await asyncio.sleep(0)
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    started = Counter(sources.made)
    assert sources.closed == started, "every source that started was closed exactly once"
    [report] = reports
    for s in report.stages:
        assert min(s.items_in, s.items_out, s.filtered, s.skipped, s.failed) >= 0, s
        if s.kind not in ts.StageMetrics.RESHAPING:
            assert s.items_in == s.items_out + s.filtered + s.skipped + s.failed, s
    assert report.outcome in ("completed", "cancelled")
