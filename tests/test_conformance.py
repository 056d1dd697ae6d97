"""Conformance tests for DESIGN.md section 9: each test is named after the rule it checks.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations. The autouse ``no_leaks`` fixture (tests/conftest.py) checks rule 23 after every test.
"""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import open_async_generators
from sources import acounting, counting

import typedstream as ts
from typedstream._engine import Run
from typedstream._engine.compile import compile_chain
from typedstream._faces import chain_of

# ------------------------------------------------------------------------------------------------- helpers


class Boom(Exception):
    """A user error that no library code raises."""


async def max_ahead(src: ts.Source[Any], pulled: list[int], *, take: int, delay: float = 0.002) -> int:
    """Consume ``take`` elements slowly; the largest number of source elements pulled beyond those received."""
    worst = 0
    received = 0
    async with src.stream() as it:
        async for _ in it:
            received += 1
            await asyncio.sleep(delay)  # give every prefetching task time to fill up
            worst = max(worst, len(pulled) - received)
            if received >= take:
                break
    return worst


class InFlight:
    """Counts concurrent calls of an async function."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.started: list[int] = []
        self.cancelled: list[int] = []
        self.finished: list[int] = []

    async def call(self, x: int, delay: float) -> int:
        self.started.append(x)
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.cancelled.append(x)
            raise
        finally:
            self.now -= 1
        self.finished.append(x)
        return x


async def until(cond: Any, timeout: float = 2.0) -> None:
    """Wait (polling the loop) until ``cond()`` is true."""
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.001)


# ------------------------------------------------------------------------- rule 1: bounded prefetch


async def test_rule01_bounded_prefetch_plain_chain_async_source() -> None:
    """An async source is read element by element: a chain with no buffer or pool pulls at most one ahead."""
    pulled: list[int] = []

    async def add(x: int) -> int:
        return x + 1

    src = ts.source(acounting(pulled)).map(lambda x: x * 2).map(add).filter(lambda x: x >= 0)
    assert await max_ahead(src, pulled, take=30) <= 1


async def test_rule01_bounded_prefetch_plain_chain_sync_source() -> None:
    """A sync source read in chunks of 4: never more than one chunk ahead of the consumer."""
    pulled: list[int] = []

    async def add(x: int) -> int:
        return x + 1

    src = ts.source(counting(pulled), chunk_size=4).map(lambda x: x * 2).map(add).tap(lambda x: None)
    assert await max_ahead(src, pulled, take=40) <= 4


async def test_rule01_bounded_prefetch_default_chunking_of_an_infinite_sync_source() -> None:
    """Default chunking grows, but an infinite sync source under a slow consumer is still pulled boundedly."""
    pulled: list[int] = []
    src = ts.source(counting(pulled)).map(lambda x: x + 1)
    ahead = await max_ahead(src, pulled, take=20, delay=0.0005)
    assert ahead <= 32  # the chunk sizes after 20 elements are 1, 2, 4, 8, 16


async def test_rule01_bounded_prefetch_buffer() -> None:
    """buffer(n) pulls at most n elements ahead (plus the chunk it last handed on, at most n elements)."""
    n = 5
    pulled: list[int] = []
    src = ts.source(acounting(pulled)).buffer(n)
    ahead = await max_ahead(src, pulled, take=30)
    assert n <= ahead <= n + n  # it does prefetch, and boundedly


async def test_rule01_bounded_prefetch_buffer_of_sync_chunks() -> None:
    """buffer(n) over chunks of c: at most n + max(n, c) ahead (elements are counted, not chunks)."""
    n, c = 4, 8
    pulled: list[int] = []
    src = ts.source(counting(pulled), chunk_size=c).buffer(n)
    assert await max_ahead(src, pulled, take=40) <= n + max(n, c)


async def test_rule01_bounded_prefetch_concurrent_map_with_window() -> None:
    """A concurrent map pulls at most concurrency + window (+ one chunk, at most window) ahead."""
    c, window = 4, 8
    pulled: list[int] = []

    async def work(x: int) -> int:
        await asyncio.sleep(0.0005)
        return x

    for ordered in (True, False):
        pulled.clear()
        src = ts.source(acounting(pulled)).map(work, concurrency=c, window=window, ordered=ordered)
        ahead = await max_ahead(src, pulled, take=40)
        assert window <= ahead <= c + window + window, (ordered, ahead)


async def test_rule01_bounded_prefetch_buffer_and_pool_chain() -> None:
    """Bounds add up along a chain: buffer + concurrency + window + one chunk per prefetching stage."""
    pulled: list[int] = []

    async def work(x: int) -> int:
        await asyncio.sleep(0.0005)
        return x

    src = ts.source(acounting(pulled)).buffer(3).map(work, concurrency=2, window=4).map(lambda x: x).buffer(2)
    ahead = await max_ahead(src, pulled, take=40)
    assert ahead <= (3 + 3) + (2 + 4 + 4) + (2 + 2)


async def test_rule01_flat_map_does_not_drain_a_large_inner_iterable_ahead_of_demand() -> None:
    """flat_map's inner iterable is a source too: take(5) must not pull far more than one chunk of it."""
    inner_pulled: list[int] = []
    src = ts.source([0]).flat_map(lambda _: counting(inner_pulled, 100_000)).take(5)
    assert await src.collect() == [0, 1, 2, 3, 4]
    assert len(inner_pulled) <= 1024 + 5, f"pulled {len(inner_pulled)} inner elements to deliver 5"


async def test_rule01_flat_map_with_an_infinite_async_inner_iterable_delivers_incrementally() -> None:
    """An infinite async inner iterable under take(3) finishes: elements are delivered as they arrive."""
    events: list[str] = []

    def inner(_: int) -> AsyncIterator[int]:
        return acounting([], events=events)

    src = ts.source([0]).flat_map(inner).take(3)
    try:
        got = await asyncio.wait_for(src.collect(), 1.0)
    except TimeoutError:
        pytest.fail("flat_map drained an infinite inner async iterable before emitting anything")
    assert got == [0, 1, 2]
    assert events == ["source"]


# --------------------------------------------------------------------------- rule 2: building runs nothing


async def test_rule02_building_runs_no_user_code() -> None:
    calls: list[str] = []

    def gen() -> Iterator[int]:
        calls.append("gen started")
        yield 1

    async def agen() -> AsyncIterator[int]:
        calls.append("agen started")
        yield 2

    class Lazy:
        def __iter__(self) -> Iterator[int]:
            calls.append("iter")
            return iter([3])

    def f(x: int) -> int:
        calls.append("f")
        return x

    async def af(x: int) -> int:
        calls.append("af")
        return x

    def factory() -> int:
        calls.append("factory")
        return 0

    def step(s: int, x: int) -> tuple[int, int]:
        calls.append("step")
        return s, x

    def key(x: int) -> int:
        calls.append("key")
        return x

    def acc(a: int, x: int) -> int:
        calls.append("acc")
        return a + x

    def pred(x: int) -> bool:
        calls.append("pred")
        return True

    def fm(x: int) -> list[int]:
        calls.append("fm")
        return [x]

    built = (
        ts.source(gen())
        .merge(ts.source(agen()), ts.source(Lazy()))
        .map(f)
        .map(af, concurrency=3)
        .filter(pred)
        .flat_map(fm)
        .tap(f)
        .take_while(pred)
        .scan(0, acc)
        .stateful_map(factory, step)
        .distinct(key)
        .buffer(4)
        .timeout(1.0)
        .throttle(100, 0.01)
        .batch_within(3, 0.01)
        .flatten()
        .batch(2)
        .take(10)
    )
    zipped = ts.zip(built, ts.source(gen())).concat(ts.source(agen()).map(lambda x: (x, [x])))
    _ = repr(zipped)
    it = aiter(zipped)  # an iterator that was never pulled runs nothing either
    async with zipped.stream():
        pass
    assert calls == []
    assert isinstance(it, AsyncGenerator)
    await it.aclose()

    assert len(await zipped.collect()) > 0
    assert "gen started" in calls and "agen started" in calls and "iter" in calls and "factory" in calls


async def test_rule02_source_of_a_generator_does_not_start_it() -> None:
    started: list[str] = []

    def gen() -> Iterator[int]:
        started.append("sync")
        yield 1

    async def agen() -> AsyncIterator[int]:
        started.append("async")
        yield 1

    g, ag = gen(), agen()
    s1, s2 = ts.source(g).map(lambda x: x + 1), ts.source(ag).map(lambda x: x + 1)
    assert started == []
    assert await s1.collect() == [2]
    assert await s2.collect() == [2]
    assert started == ["sync", "async"]


# ----------------------------------------------------------------------------- rule 3: runs independent


async def test_rule03_two_runs_are_independent_with_fresh_state() -> None:
    def running_max(s: int, x: int) -> tuple[int, int]:
        m = max(s, x)
        return m, m

    src = (
        ts.source([3, 1, 4, 1, 5, 9, 2, 6])
        .scan(0, lambda a, x: a + x)
        .stateful_map(0, running_max)
        .distinct(lambda x: x % 7)
        .take(4)
    )
    first = await src.collect()
    assert first == [3, 4, 8, 9]
    assert await src.collect() == first
    assert [x async for x in src] == first
    assert await src.into(ts.count()) == 4


async def test_rule03_stateful_map_factory_called_once_per_run() -> None:
    made: list[list[int]] = []

    def factory() -> list[int]:
        state: list[int] = []
        made.append(state)
        return state

    def remember(seen: list[int], x: int) -> tuple[list[int], int]:
        seen.append(x)
        return seen, len(seen)

    src = ts.source(range(4)).stateful_map(factory, remember)
    assert await src.collect() == [1, 2, 3, 4]
    assert await src.collect() == [1, 2, 3, 4]
    assert len(made) == 2 and made[0] is not made[1]


async def test_rule03_concurrent_runs_of_one_source_are_independent() -> None:
    async def slow(x: int) -> int:
        await asyncio.sleep(0.001 * (x % 3))
        return x

    src = (
        ts.source(range(30))
        .map(slow, concurrency=4)
        .scan(0, lambda a, x: a + x)
        .distinct()
        .buffer(3)
        .batch(4)
        .take(5)
    )
    a, b, c = await asyncio.gather(src.collect(), src.collect(), src.collect())
    assert a == b == c
    assert a == [[0, 1, 3, 6], [10, 15, 21, 28], [36, 45, 55, 66], [78, 91, 105, 120], [136, 153, 171, 190]]


async def test_rule03_async_stage_state_is_fresh_per_run() -> None:
    async def keep(x: int) -> bool:
        return True

    src = ts.source([1, 1, 2, 2, 3]).filter(keep, concurrency=2).distinct().scan(0, lambda a, x: a * 10 + x)
    assert await src.collect() == [1, 12, 123]
    assert await src.collect() == [1, 12, 123]


# ---------------------------------------------------------------------- rule 4: nothing after the end


async def test_rule04_no_call_after_an_error_surfaces_concurrent_workers() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        if x == 5:
            raise Boom(x)
        await asyncio.sleep(0.005)
        return x

    with pytest.raises(Boom):
        await ts.source(range(1000)).map(f, concurrency=4).collect()
    n = len(calls)
    await asyncio.sleep(0.03)
    assert len(calls) == n


async def test_rule04_no_call_after_an_error_surfaces_behind_a_buffer() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0.001)
        return x

    def fail_at_3(x: int) -> int:
        if x == 3:
            raise Boom(x)
        return x

    with pytest.raises(Boom):
        await ts.source(range(1000)).map(f, concurrency=2).buffer(10).map(fail_at_3).collect()
    n = len(calls)
    await asyncio.sleep(0.03)
    assert len(calls) == n


async def test_rule04_nothing_delivered_after_an_error() -> None:
    def fail_at_3(x: int) -> int:
        if x == 3:
            raise Boom(x)
        return x

    got: list[int] = []
    async with ts.source(range(10)).map(fail_at_3).stream() as it:
        with pytest.raises(Boom):
            async for x in it:
                got.append(x)
        assert await anext(it, None) is None
        assert await anext(it, None) is None
    assert got == [0, 1, 2]


async def test_rule04_nothing_delivered_or_called_after_completion() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        return x

    async with ts.source(range(5)).map(f, concurrency=3).stream() as it:
        got = [x async for x in it]
        assert await anext(it, None) is None
    assert got == [0, 1, 2, 3, 4]
    await asyncio.sleep(0.01)
    assert sorted(calls) == [0, 1, 2, 3, 4]


async def test_rule04_no_call_after_take_is_satisfied() -> None:
    calls: list[int] = []

    async def f(x: int) -> int:
        calls.append(x)
        await asyncio.sleep(0.001)
        return x

    assert await ts.source(acounting([])).map(f, concurrency=4).buffer(4).take(3).collect() == [0, 1, 2]
    n = len(calls)
    await asyncio.sleep(0.02)
    assert len(calls) == n


# ----------------------------------------------------------------- rule 6: errors close every generator


async def test_rule06_error_closes_every_generator_before_collect_returns() -> None:
    events: list[str] = []

    def sync_source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            events.append("sync source")

    async def async_source() -> AsyncIterator[int]:
        try:
            for i in range(1000, 2000):
                await asyncio.sleep(0.0005)
                yield i
        finally:
            events.append("async source")

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
            if x == 1:
                await asyncio.sleep(10)  # left suspended mid-iteration when the run fails
            yield x
        finally:
            events.append(f"inner {x}")

    def fail_at_6(x: int) -> int:
        if x == 6:
            raise Boom(x)
        return x

    for run in ("collect", "run"):
        events.clear()
        src = (  # generator objects are single-use: a fresh pipeline per run
            ts.source(sync_source())
            .merge(ts.source(async_source()))
            .flat_map(inner, concurrency=3, ordered=False)
            .map(fail_at_6)
        )
        with pytest.raises(Boom):
            if run == "collect":
                await src.collect()
            else:
                await src.run()
        assert {"sync source", "async source", "inner 1"} <= set(events), (run, events)
        snapshot = list(events)
        await asyncio.sleep(0.01)
        assert events == snapshot, "a finalizer ran after the run returned"


async def test_rule06_error_in_an_async_stage_closes_user_generators() -> None:
    events: list[str] = []

    async def fail_at_2(x: int) -> int:
        if x == 2:
            raise Boom(x)
        return x

    src = ts.source(acounting([], events=events)).buffer(2).map(fail_at_2)
    with pytest.raises(Boom):
        await src.run()
    assert events == ["source"]

    events.clear()
    src2 = ts.source(counting([], events=events)).map(fail_at_2, concurrency=2)
    with pytest.raises(Boom):
        await src2.collect()
    assert events == ["source"]


async def test_rule06_error_in_a_source_closes_the_other_generators() -> None:
    events: list[str] = []

    async def bad() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(0.005)
        raise Boom("source failed")

    src = ts.merge(ts.source(bad()), ts.source(acounting([], events=events, delay=0.001)))
    with pytest.raises(Boom):
        await src.collect()
    assert events == ["source"]

    events.clear()
    zipped = ts.zip(ts.source(counting([], events=events)), ts.source(bad()))
    with pytest.raises(Boom):
        await zipped.collect()
    assert events == ["source"]


# ------------------------------------------------------------------- rule 7: take / break close upstream


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


# -------------------------------------------------------------------- rule 8: no call outlives its run


async def test_rule08_slow_call_is_cancelled_before_collect_raises() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        if x == 3:
            await asyncio.sleep(0.005)
            raise Boom(x)
        return await probe.call(x, 10.0)

    with pytest.raises(Boom):
        await ts.source(range(10)).map(f, concurrency=4).collect()
    assert probe.now == 0
    assert sorted(probe.cancelled) == sorted(probe.started) and probe.started


async def test_rule08_slow_call_is_cancelled_before_take_returns() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0 if x == 0 else 0.001)

    assert len(await ts.source(range(100)).map(f, concurrency=4, ordered=False).take(5).collect()) == 5
    assert probe.now == 0
    assert 0 in probe.cancelled


async def test_rule08_call_inside_a_buffer_task_does_not_outlive_the_run() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0 if x == 2 else 0.0)

    assert await ts.source(range(10)).map(f).buffer(5).take(2).collect() == [0, 1]
    assert probe.now == 0 and probe.cancelled == [2]


# -------------------------------------------------------------- rule 9: finalizers once, reverse order


async def test_rule09_finalizers_run_once_on_success() -> None:
    events: list[str] = []

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
        finally:
            events.append(f"inner {x}")

    sync_events: list[str] = []
    src = ts.source(acounting([], 3, events=events)).flat_map(inner).zip(
        ts.source(counting([], 5, events=sync_events))
    )
    assert await src.collect() == [(0, 0), (1, 1), (2, 2)]
    assert events == ["inner 0", "inner 1", "inner 2", "source"]
    assert sync_events == ["source"]


async def test_rule09_finalizers_run_once_in_reverse_order_on_error() -> None:
    events: list[str] = []

    async def f(x: int) -> int:
        try:
            if x == 0:
                await asyncio.sleep(10)
            return x
        finally:
            events.append(f"call {x}")

    def fail(x: int) -> int:
        if x == 3:
            raise Boom(x)
        return x

    src = ts.source(counting([], events=events)).map(f, concurrency=2, ordered=False).map(fail)
    with pytest.raises(Boom):
        await src.collect()
    assert events.count("source") == 1 and events.count("call 0") == 1
    # The downstream finalizer (the in-flight call) runs before the upstream one (the source generator).
    assert events.index("call 0") < events.index("source")


async def test_rule09_finalizers_run_once_downstream_first_on_cancellation() -> None:
    events: list[str] = []
    started = asyncio.Event()

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
            started.set()
            await asyncio.sleep(10)
            yield x
        finally:
            events.append("inner")

    src = ts.source(acounting([], events=events)).flat_map(inner)
    task = asyncio.create_task(src.collect())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events == ["inner", "source"]


async def test_rule09_finalizers_run_once_downstream_first_on_take() -> None:
    events: list[str] = []

    async def f(x: int) -> int:
        try:
            await asyncio.sleep(10 if x >= 3 else 0)
            return x
        finally:
            events.append("call")

    src = ts.source(counting([], events=events)).map(f, concurrency=2, ordered=False).take(3)
    assert sorted(await src.collect()) == [0, 1, 2]
    assert events.count("source") == 1
    assert events[-1] == "source", events  # every call finished or was cancelled before the source closed


# ------------------------------------------------------------------------- rule 10: double close no-op


async def test_rule10_closing_twice_is_a_no_op() -> None:
    events: list[str] = []
    async with ts.source(acounting([], events=events)).buffer(2).stream() as it:
        assert await anext(it) == 0
        assert isinstance(it, AsyncGenerator)
        await it.aclose()
        await it.aclose()
        assert events == ["source"]
    assert events == ["source"]


@pytest.mark.parametrize("stage", ["map", "buffer", "merge", "batch_within", "pool"])
async def test_rule10_a_closed_iterator_stays_exhausted(stage: str) -> None:
    """After the stream() block (or an explicit aclose), pulling again ends the iteration; it does not fail."""
    base = ts.source(acounting([]))
    builders: dict[str, Callable[[], ts.Source[Any]]] = {
        "map": lambda: base.map(inc),
        "buffer": lambda: base.buffer(2),
        "merge": lambda: base.merge(ts.source(range(3))),
        "batch_within": lambda: base.batch_within(2, 0.01),
        "pool": lambda: base.map(inc, concurrency=2),
    }
    src = builders[stage]()
    async with src.stream() as it:
        async for _ in it:
            break
    assert await anext(it, "end") == "end"
    with pytest.raises(StopAsyncIteration):
        await anext(it)
    assert isinstance(it, AsyncGenerator)
    await it.aclose()


async def test_rule10_run_aclose_twice_is_a_no_op() -> None:
    events: list[str] = []
    run = Run()
    chunks = compile_chain(chain_of(ts.source(acounting([], events=events)).map(lambda x: x).buffer(2)), run, run.output)
    assert await anext(chunks) == [0]
    await run.aclose()
    assert events == ["source"]
    await run.aclose()
    assert events == ["source"]


async def test_rule10_break_then_context_exit_closes_once() -> None:
    events: list[str] = []
    src = ts.source(counting([], events=events)).map(lambda x: x)
    async with src.stream() as it:
        async for _ in it:
            break
        assert isinstance(it, AsyncGenerator)
        await it.aclose()
    assert events == ["source"]


# ------------------------------------------------------------------ rule 13: at most n calls in flight


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("n", [1, 2, 5])
async def test_rule13_concurrency_bounds_calls_in_flight(n: int, ordered: bool) -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 0.001 * (x % 3))

    got = await ts.source(range(40)).map(f, concurrency=n, ordered=ordered).collect()
    assert sorted(got) == list(range(40))
    assert probe.peak == n


async def test_rule13_concurrency_bounds_every_element_operator() -> None:
    probe = InFlight()

    async def pred(x: int) -> bool:
        return bool(await probe.call(x, 0.001) % 2)

    async def fm(x: int) -> list[int]:
        return [await probe.call(x, 0.001)]

    async def t(x: int) -> None:
        await probe.call(x, 0.001)

    for src in (
        ts.source(range(30)).filter(pred, concurrency=3),
        ts.source(range(30)).flat_map(fm, concurrency=3),
        ts.source(range(30)).tap(t, concurrency=3),
    ):
        probe.peak = 0
        await src.collect()
        assert probe.peak == 3


# -------------------------------------------------------- rule 14: ordered map, slots busy behind head


@pytest.mark.parametrize("window", [4, 8, 13])
async def test_rule14_ordered_map_slots_busy_behind_a_slow_head(window: int) -> None:
    release = asyncio.Event()
    started: list[int] = []

    async def f(x: int) -> int:
        started.append(x)
        if x == 0:
            await release.wait()
        else:
            await asyncio.sleep(0.0005)
        return x

    async def consume() -> list[int]:
        return await ts.source(range(50)).map(f, concurrency=4, window=window).collect()

    task = asyncio.create_task(consume())
    await until(lambda: len(started) >= window)
    await asyncio.sleep(0.02)  # nothing more may start while the head is pending
    assert sorted(started) == list(range(window))
    release.set()
    assert await task == list(range(50))


async def test_rule14_default_window_is_32_times_concurrency() -> None:
    release = asyncio.Event()
    started: list[int] = []

    async def f(x: int) -> int:
        started.append(x)
        if x == 0:
            await release.wait()
        return x

    task = asyncio.create_task(ts.source(range(200)).map(f, concurrency=2).collect())
    await until(lambda: len(started) >= 64)
    await asyncio.sleep(0.01)
    assert len(started) == 64
    release.set()
    assert await task == list(range(200))


async def test_rule14_ordered_map_keeps_order_with_random_delays() -> None:
    async def f(x: int) -> int:
        await asyncio.sleep(0.001 * ((x * 7) % 5))
        return x * x

    for c, w in ((2, None), (4, 4), (8, 16)):
        got = await ts.source(range(60)).map(f, concurrency=c, window=w).collect()
        assert got == [x * x for x in range(60)]


# ------------------------------------------------------------------ rule 15: unordered exactly once


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


# ------------------------------------------------------------------ rule 16 (bonus): fail fast


async def test_rule16_fail_fast_does_not_wait_for_in_flight_calls() -> None:
    async def f(x: int) -> int:
        if x == 0:
            await asyncio.sleep(10)
        if x == 1:
            raise Boom(x)
        return x

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(Boom):
        await ts.source(range(10)).map(f, concurrency=3).collect()
    assert loop.time() - t0 < 1.0


# -------------------------------------------------------------------------- rule 19: batch_within


async def test_rule19_batch_within_emits_at_n() -> None:
    got = await ts.source(range(10)).batch_within(3, 5.0).collect()
    assert got == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


async def test_rule19_batch_within_emits_after_the_time_never_empty_and_flushes() -> None:
    async def bursts() -> AsyncIterator[int]:
        for i in range(7):
            if i in (2, 5):
                await asyncio.sleep(0.03)  # a gap much longer than the batch time
            yield i
        await asyncio.sleep(0.03)

    loop = asyncio.get_running_loop()
    stamps: list[tuple[float, list[int]]] = []
    async for b in ts.source(bursts()).batch_within(10, 0.01):
        stamps.append((loop.time(), b))
    batches = [b for _, b in stamps]
    assert batches == [[0, 1], [2, 3, 4], [5, 6]]
    assert all(batches)


async def test_rule19_batch_within_time_is_counted_from_the_first_element() -> None:
    async def slow() -> AsyncIterator[int]:
        for i in range(6):
            await asyncio.sleep(0.004)
            yield i

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    stamps: list[tuple[float, list[int]]] = []
    async for b in ts.source(slow()).batch_within(100, 0.01):
        stamps.append((loop.time() - t0, b))
    assert [x for _, b in stamps for x in b] == list(range(6))
    assert all(b for _, b in stamps)
    assert len(stamps) >= 2  # batches were cut by time, not only at the end
    assert all(len(b) <= 5 for _, b in stamps)  # ~3 elements arrive in 10 ms


async def test_rule19_batch_within_empty_input_emits_nothing() -> None:
    assert await ts.source(list[int]()).batch_within(3, 0.01).collect() == []

    async def nothing() -> AsyncIterator[int]:
        await asyncio.sleep(0.03)
        for x in list[int]():
            yield x

    assert await ts.source(nothing()).batch_within(3, 0.005).collect() == []


# ------------------------------------------------------------------------ rule 21: no recursion depth


def _chain_of_sync_maps(n: int) -> ts.Source[int]:
    src = ts.source(range(100))
    for _ in range(n):
        src = src.map(lambda x: x + 1)
    return src


async def test_rule21_ten_thousand_sync_maps() -> None:
    assert await _chain_of_sync_maps(10_000).collect() == [x + 10_000 for x in range(100)]


async def inc(x: int) -> int:
    return x + 1


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


# ------------------------------------------------------------------------- rule 23: the leak detector


async def test_rule23_leak_detector_reports_an_open_iterator() -> None:
    loop = asyncio.get_running_loop()
    before = {id(g) for g in open_async_generators(loop)}
    it = aiter(ts.source(range(10)).map(inc).buffer(2))
    assert await anext(it) == 1
    gc.collect()
    leaked = [g for g in open_async_generators(loop) if id(g) not in before]
    assert it in leaked
    me = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not me and not t.done()], "the buffer task is pending"
    assert isinstance(it, AsyncGenerator)
    await it.aclose()
    assert not [g for g in open_async_generators(loop) if id(g) not in before]
    assert not [t for t in asyncio.all_tasks() if t is not me and not t.done()]


async def test_rule23_a_finished_run_leaves_nothing_open() -> None:
    loop = asyncio.get_running_loop()
    before = {id(g) for g in open_async_generators(loop)}
    src = ts.source(acounting([])).map(inc, concurrency=3).buffer(2).batch_within(4, 0.01).take(3)
    assert len(await src.collect()) == 3
    assert not [g for g in open_async_generators(loop) if id(g) not in before]


# ------------------------------------------------------------------------------------ cancellation


async def test_cancellation_wait_for_cancels_workers_and_closes_generators() -> None:
    events: list[str] = []
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0)

    src = ts.source(acounting([], events=events)).map(f, concurrency=4).buffer(2)
    with pytest.raises(TimeoutError) as info:
        await asyncio.wait_for(src.collect(), 0.02)
    assert isinstance(info.value.__cause__ or info.value.__context__, asyncio.CancelledError)
    assert events == ["source"]
    assert probe.now == 0 and len(probe.cancelled) == 4


async def test_cancellation_task_cancel_propagates_cancelled_error() -> None:
    events: list[str] = []
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0 if x > 3 else 0.0)

    def fine(x: int) -> int:
        return x

    src = ts.source(counting([], events=events)).map(f, concurrency=3, ordered=False).map(fine)
    task = asyncio.create_task(src.collect())
    await until(lambda: probe.now == 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert events == ["source"]
    assert probe.now == 0 and len(probe.cancelled) == 3


@pytest.mark.parametrize("where", ["sequential", "pool", "buffer", "merge", "timeout", "batch_within", "flat_map"])
async def test_rule12_cancellation_is_not_turned_into_another_error(where: str) -> None:
    events: list[str] = []
    reached = asyncio.Event()

    async def block(x: int) -> int:
        reached.set()
        await asyncio.sleep(10)
        return x

    async def blocking_inner(x: int) -> AsyncIterator[int]:
        yield x
        reached.set()
        await asyncio.sleep(10)

    async def stalled() -> AsyncIterator[int]:
        yield 0
        reached.set()
        await asyncio.sleep(10)
        yield 1

    base = ts.source(acounting([], events=events))
    builders: dict[str, Callable[[], ts.Source[Any]]] = {
        "sequential": lambda: base.map(block),
        "pool": lambda: base.map(block, concurrency=3),
        "buffer": lambda: base.map(block).buffer(3),
        "merge": lambda: base.map(block).merge(ts.source(stalled())),
        "timeout": lambda: base.map(block).timeout(5.0),
        "batch_within": lambda: ts.source(stalled()).batch_within(5, 5.0).merge(base.map(block)),
        "flat_map": lambda: base.flat_map(blocking_inner),
    }
    src = builders[where]()
    task = asyncio.create_task(src.collect())
    await reached.wait()
    await asyncio.sleep(0.002)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except BaseException as e:  # pragma: no cover - the failure being tested for
        pytest.fail(f"cancellation surfaced as {type(e).__name__}: {e!r}")
    else:
        pytest.fail("cancellation was swallowed: the run returned normally")
    assert task.cancelled()
    assert events == ["source"]


async def test_rule12_cancellation_during_cleanup_is_not_swallowed() -> None:
    """A task cancelled while a run is closing (a buffer task still finishing) stays cancelled."""
    closing = asyncio.Event()
    after_close: list[str] = []

    async def slow_to_close() -> AsyncIterator[int]:
        try:
            yield 0
            await asyncio.sleep(10)
            yield 1
        finally:
            closing.set()
            await asyncio.sleep(0.02)  # cleanup that takes a while

    async def consumer() -> None:
        async with ts.source(slow_to_close()).buffer(2).stream() as it:
            async for _ in it:
                break
        after_close.append("ran on after the stream was closed")

    task = asyncio.create_task(consumer())
    await closing.wait()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert task.cancelled(), f"the cancellation was lost; the consumer went on: {after_close}"


async def test_rule12_cancellation_during_cleanup_after_an_error_is_not_turned_into_the_error() -> None:
    """An error is surfacing and the run is closing when the consumer is cancelled: the task ends cancelled."""
    closing = asyncio.Event()

    async def slow_to_close() -> AsyncIterator[int]:
        try:
            yield 0
            await asyncio.sleep(10)
            yield 1
        finally:
            closing.set()
            await asyncio.sleep(0.02)

    def fail(x: int) -> int:
        raise Boom(x)

    task = asyncio.create_task(ts.source(slow_to_close()).map(fail).collect())
    await closing.wait()
    task.cancel()
    with pytest.raises((asyncio.CancelledError, Boom)):
        await task
    assert task.cancelled(), "the cancellation was turned into the run's error"


# ------------------------------------------------------------------- rule 12 with retry, skip and try_map

GUARDS: dict[str, dict[str, Any]] = {
    "retry": {"retry": ts.Retry(5, ts.Backoff.none())},
    "skip": {"on_error": "skip"},
    "retry+skip+dead_letter": {"retry": ts.Retry(5, ts.Backoff.none()), "on_error": "skip"},
}


@pytest.mark.parametrize("concurrency", [1, 3])
@pytest.mark.parametrize("guard", list(GUARDS))
@pytest.mark.parametrize("operator", ["map", "try_map"])
async def test_rule12_cancellation_is_never_retried_skipped_or_turned_into_a_result(
    operator: str, guard: str, concurrency: int
) -> None:
    calls: list[int] = []
    dead: list[ts.DeadLetter[int]] = []
    reached = asyncio.Event()

    async def block(x: int) -> int:
        calls.append(x)
        reached.set()
        await asyncio.sleep(10)
        return x

    options: dict[str, Any] = {**GUARDS[guard], "concurrency": concurrency}
    if guard.endswith("dead_letter"):
        options["dead_letter"] = ts.for_each(dead.append)
    src: ts.Source[Any] = getattr(ts.source([1]), operator)(block, **options)
    task = asyncio.create_task(src.collect())
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert calls == [1], "a cancelled call was retried"
    assert dead == [], "a cancelled element was dead-lettered"


async def test_rule12_cancellation_during_a_retry_wait_ends_the_run() -> None:
    calls: list[int] = []
    waiting = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.sleep(10)

    def flaky(x: int) -> int:
        calls.append(x)
        raise ConnectionError(x)

    src = ts.source([1]).map(flaky, retry=ts.Retry(3, ts.Backoff.constant(10), sleep=sleep), on_error="skip")
    task = asyncio.create_task(src.collect())
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == [1]


# ---------------------------------------------------------------------------- rule 5: one outcome per run


@pytest.mark.parametrize("ordered", [True, False])
async def test_rule05_concurrent_failures_give_one_outcome_the_first_error(ordered: bool) -> None:
    """Several calls fail at once: the run raises the first failure itself (never an ExceptionGroup); the others
    are named in a note on it, and nothing is delivered afterwards."""
    release = asyncio.Event()

    async def f(x: int) -> int:
        if x < 3:
            await release.wait()
            raise Boom(f"boom {x}")
        release.set()
        await asyncio.sleep(0)
        return x

    got: list[int] = []
    with pytest.raises(Boom) as info:
        async with ts.source(range(4)).map(f, concurrency=4, ordered=ordered).stream() as it:
            async for x in it:
                got.append(x)
    assert not isinstance(info.value, BaseExceptionGroup)
    assert str(info.value) == "boom 0"
    notes = "\n".join(info.value.__notes__)
    assert "typedstream: stage 'f' failed on element 0" in notes
    assert "2 other call(s) of stage 'f' also failed: Boom: boom 1, Boom: boom 2" in notes
    assert got == [] if ordered else got in ([], [3])


async def test_rule05_a_run_has_one_outcome_even_when_closing_fails_too() -> None:
    async def bad_close() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            raise RuntimeError("close failed")

    def fail(x: int) -> int:
        raise Boom(x)

    with pytest.raises(Boom) as info:
        await ts.source(bad_close()).map(fail).collect()
    assert any("closing the run also failed" in n for n in info.value.__notes__)


async def test_rule05_a_dead_letter_sink_failure_and_a_stage_failure_give_one_outcome() -> None:
    def sink_fails(letter: ts.DeadLetter[int]) -> None:
        raise RuntimeError("sink down")

    def f(x: int) -> int:
        if x == 0:
            raise ValueError("skipped")
        raise Boom("fatal")

    src = ts.source([0, 1]).map(f, on_error="skip", dead_letter=ts.for_each(sink_fails)).map(lambda x: x)
    with pytest.raises((Boom, RuntimeError)) as info:
        await src.collect()
    assert not isinstance(info.value, BaseExceptionGroup)


# ---------------------------------------------------------------- rule 11: upstream never sees downstream errors


@pytest.mark.parametrize("between", ["", "buffer", "async", "pool"])
async def test_rule11_an_upstream_strategy_never_handles_a_downstream_error(between: str) -> None:
    upstream_calls: list[int] = []
    dead: list[ts.DeadLetter[int]] = []

    def up(x: int) -> int:
        upstream_calls.append(x)
        return x

    def down(x: int) -> int:
        if x == 2:
            raise Boom(x)
        return x

    async def ident(x: int) -> int:
        return x

    src = ts.source(range(5)).map(
        up, retry=ts.Retry(3, ts.Backoff.none()), on_error="skip", dead_letter=ts.for_each(dead.append)
    )
    if between == "buffer":
        src = src.buffer(2)
    elif between == "async":
        src = src.map(ident)
    elif between == "pool":
        src = src.map(ident, concurrency=2)
    with pytest.raises(Boom) as info:
        await src.map(down, name="down").collect()
    assert "typedstream: stage 'down' failed on element 2" in info.value.__notes__
    assert dead == []
    assert upstream_calls.count(2) == 1, "the upstream stage retried an element for a downstream failure"


async def test_rule11_an_upstream_try_map_never_catches_a_downstream_error() -> None:
    def down(r: Any) -> Any:
        raise Boom("downstream")

    with pytest.raises(Boom):
        await ts.source([1]).try_map(lambda x: x, catch=Exception).map(down).collect()


async def test_rule11_a_failing_source_is_not_retried_or_skipped_by_the_stage_after_it() -> None:
    def broken() -> Iterator[int]:
        yield 0
        raise Boom("source")

    got: list[int] = []
    with pytest.raises(Boom):
        async for x in ts.source(broken()).map(lambda x: x, retry=ts.Retry(3, ts.Backoff.none()), on_error="skip"):
            got.append(x)
    assert got == [0]


# ----------------------------------------------------------------- rule 16 with retry: fail fast after retries


async def test_rule16_an_element_that_exhausts_its_retries_fails_fast() -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        if x == 1:
            raise Boom(x)
        return await probe.call(x, 10.0)

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(Boom) as info:
        await ts.source(range(6)).map(f, concurrency=3, retry=ts.Retry(3, ts.Backoff.constant(0.01))).collect()
    assert loop.time() - t0 < 1.0
    assert "typedstream: gave up after 3 attempts" in info.value.__notes__
    assert probe.now == 0 and probe.finished == []


# ------------------------------------------------------------------------ rule 17: skip drops only the failing


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    xs=st.lists(st.integers(0, 30), max_size=40),
    bad=st.frozensets(st.integers(0, 30)),
    mode=st.sampled_from(["sync", "async", "pool", "pool-unordered"]),
    chunk=st.integers(1, 7),
)
async def test_rule17_skip_drops_only_the_failing_elements(xs: list[int], bad: frozenset[int], mode: str, chunk: int) -> None:
    dead: list[ts.DeadLetter[int]] = []

    def f(x: int) -> int:
        if x in bad:
            raise Boom(x)
        return x * 10

    async def af(x: int) -> int:
        await asyncio.sleep(0)
        return f(x)

    opts: ts.ElementOptions[int] = {
        "on_error": "skip",
        "dead_letter": ts.for_each(dead.append),
        "concurrency": 3 if mode.startswith("pool") else 1,
        "ordered": mode != "pool-unordered",
    }
    src = ts.source(xs, chunk_size=chunk)
    got = await (src.map(f, **opts) if mode == "sync" else src.map(af, **opts)).collect()
    expected = [x * 10 for x in xs if x not in bad]
    if mode == "pool-unordered":
        assert Counter(got) == Counter(expected)
        assert Counter(d.element for d in dead) == Counter(x for x in xs if x in bad)
    else:
        assert got == expected
        assert [d.element for d in dead] == [x for x in xs if x in bad]


# -------------------------------------------------------- rule 18: retry limits, capped jittered delays, no re-emit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    failures=st.lists(st.integers(0, 6), min_size=1, max_size=30),
    attempts=st.integers(1, 5),
    initial=st.floats(0.0, 2.0),
    factor=st.floats(1.0, 3.0),
    cap=st.floats(0.0, 5.0),
    jitter=st.floats(0.0, 1.0),
    concurrency=st.sampled_from([1, 3]),
    seed=st.integers(0, 2**16),
)
async def test_rule18_retry_calls_at_most_attempts_times_with_capped_jittered_delays_and_never_re_emits(
    failures: list[int],
    attempts: int,
    initial: float,
    factor: float,
    cap: float,
    jitter: float,
    concurrency: int,
    seed: int,
) -> None:
    """Element i fails ``failures[i]`` times before succeeding."""
    delays: list[float] = []
    calls: Counter[int] = Counter()

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    async def f(i: int) -> int:
        calls[i] += 1
        if calls[i] <= failures[i]:
            raise ConnectionError(i)
        return i

    cap = max(cap, initial)
    policy = ts.Retry(attempts, ts.Backoff(initial, factor, cap, jitter), sleep=sleep, seed=seed)
    dead: list[ts.DeadLetter[int]] = []
    got = await ts.source(range(len(failures))).map(
        f, retry=policy, on_error="skip", concurrency=concurrency, dead_letter=ts.for_each(dead.append)
    ).collect()
    ok = [i for i, n in enumerate(failures) if n < attempts]
    assert got == ok  # each succeeding element exactly once, in order
    assert sorted(d.element for d in dead) == [i for i, n in enumerate(failures) if n >= attempts]
    assert all(d.attempts == attempts for d in dead)
    for i, n in enumerate(failures):
        assert calls[i] == min(n + 1, attempts)
    assert len(delays) == sum(min(n, attempts - 1) for n in failures)
    for d in delays:
        assert 0 <= d <= cap
    # the k-th retry of an element waits between base(k) * (1 - jitter) and base(k)
    if concurrency == 1:
        expected_bases = [policy.backoff.base(k) for n in failures for k in range(1, min(n, attempts - 1) + 1)]
        for d, base in zip(delays, expected_bases, strict=True):
            assert base * (1 - jitter) - 1e-9 <= d <= base + 1e-9
