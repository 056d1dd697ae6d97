"""Unit tests of each operator's documented semantics and edge cases (DESIGN.md sections 3, 4 and 5)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import sources

import typedstream as ts

# ------------------------------------------------------------------------------------------------- helpers


class Boom(Exception):
    """A user error that no library code raises."""


async def double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


async def is_even(x: int) -> bool:
    await asyncio.sleep(0)
    return x % 2 == 0


async def aiterate(xs: list[int], delay: float = 0.0) -> AsyncIterator[int]:
    for x in xs:
        await asyncio.sleep(delay)
        yield x


def counting(pulled: list[int], n: int | None = None, events: list[str] | None = None) -> Iterator[int]:
    return sources.counting(pulled, n, events=events, label="closed")


def acounting(pulled: list[int], events: list[str] | None = None, delay: float = 0.0) -> AsyncIterator[int]:
    return sources.acounting(pulled, events=events, delay=delay, label="closed")


def settled(values: list[Any]) -> list[Any]:
    """The values, with any coroutine object closed (a failing test must not leak it) and shown as a marker."""
    out: list[Any] = []
    for v in values:
        if inspect.iscoroutine(v):
            v.close()
            out.append("<coroutine object passed downstream>")
        else:
            out.append(v)
    return out


def notes(e: BaseException) -> list[str]:
    return list(getattr(e, "__notes__", []))


# -------------------------------------------------------------------------------------------------- scan


async def test_scan_emits_each_accumulation_not_init() -> None:
    assert await ts.source([1, 2, 3]).scan(100, lambda a, x: a + x).collect() == [101, 103, 106]
    assert await (ts.source([1, 2, 3]) | ts.scan(0, lambda a, x: a - x, of=int)).collect() == [-1, -3, -6]


async def test_scan_of_an_empty_stream_emits_nothing() -> None:
    assert await ts.source(list[int]()).scan(0, lambda a, x: a + x).collect() == []


async def test_scan_can_change_the_element_type() -> None:
    def join(acc: str, x: int) -> str:
        return f"{acc}{x}"

    assert await ts.source([1, 2, 3]).scan("", join).collect() == ["1", "12", "123"]


# ------------------------------------------------------------------------------------------ stateful_map


async def test_stateful_map_with_a_value_init() -> None:
    def running(total: int, x: int) -> tuple[int, str]:
        return total + x, f"{x}->{total + x}"

    src = ts.source([1, 2, 3]).stateful_map(10, running)
    assert await src.collect() == ["1->11", "2->13", "3->16"]
    assert await src.collect() == ["1->11", "2->13", "3->16"]  # the value is the state of every run


async def test_stateful_map_with_a_factory_init_is_fresh_per_run() -> None:
    calls: list[int] = []

    def fresh() -> dict[int, int]:
        calls.append(1)
        return {}

    def occurrence(seen: dict[int, int], x: int) -> tuple[dict[int, int], int]:
        seen[x] = seen.get(x, 0) + 1
        return seen, seen[x]

    src = ts.source([5, 5, 6, 5]) | ts.stateful_map(fresh, occurrence, of=int)
    assert await src.collect() == [1, 2, 1, 3]
    assert await src.collect() == [1, 2, 1, 3]
    assert len(calls) == 2


async def test_stateful_map_factory_not_called_for_an_unrun_pipeline() -> None:
    calls: list[int] = []

    def fresh() -> int:
        calls.append(1)
        return 0

    ts.source([1]).stateful_map(fresh, lambda s, x: (s, x))
    assert calls == []


# -------------------------------------------------------------------------------------------- take_while


async def test_take_while_does_not_emit_the_first_false_element() -> None:
    assert await ts.source([1, 2, 3, 10, 1, 2]).take_while(lambda x: x < 5).collect() == [1, 2, 3]
    assert await ts.source([10, 1]).take_while(lambda x: x < 5).collect() == []
    assert await ts.source([1, 2]).take_while(lambda x: x < 5).collect() == [1, 2]


async def test_take_while_stops_pulling_an_infinite_source() -> None:
    events: list[str] = []
    pulled: list[int] = []
    got = await ts.source(counting(pulled, events=events)).take_while(lambda x: x < 5).collect()
    assert got == [0, 1, 2, 3, 4]
    assert events == ["closed"]
    assert len(pulled) <= 16  # at most the chunk holding the first false element


async def test_take_while_stops_pulling_an_async_source_at_the_first_false_element() -> None:
    pulled: list[int] = []
    checked: list[int] = []

    def small(x: int) -> bool:
        checked.append(x)
        return x < 3

    assert await ts.source(acounting(pulled)).take_while(small).collect() == [0, 1, 2]
    assert checked == [0, 1, 2, 3]
    assert pulled == [0, 1, 2, 3]


async def test_take_while_free_function_and_async_predicate() -> None:
    async def below(x: int) -> bool:
        return x < 3

    assert await (ts.source(range(10)) | ts.take_while(lambda x: x < 4, of=int)).collect() == [0, 1, 2, 3]
    assert await ts.source(range(10)).take_while(below).collect() == [0, 1, 2]


# ---------------------------------------------------------------------------------------------- distinct


async def test_distinct_keeps_the_first_of_each_key() -> None:
    words = ["apple", "avocado", "banana", "blueberry", "cherry", "apricot"]
    assert await ts.source(words).distinct(lambda w: w[0]).collect() == ["apple", "banana", "cherry"]
    got = await (ts.source(words) | ts.distinct(len, of=str)).collect()
    assert got == ["apple", "avocado", "banana", "blueberry"]


async def test_distinct_without_key_uses_the_element() -> None:
    assert await ts.source([3, 1, 3, 2, 1]).distinct().collect() == [3, 1, 2]
    assert await (ts.source([3, 1, 3, 2, 1]) | ts.distinct()).collect() == [3, 1, 2]


# --------------------------------------------------------------------------------------------------- zip


async def test_zip_stops_with_the_shortest_and_closes_the_others() -> None:
    events: list[str] = []
    got = await ts.zip(ts.source(["a", "b", "c"]), ts.source(acounting([], events=events))).collect()
    assert got == [("a", 0), ("b", 1), ("c", 2)]
    assert events == ["closed"]

    events.clear()
    got2 = await ts.source(counting([], events=events)).zip(ts.source(["x", "y"])).collect()
    assert got2 == [(0, "x"), (1, "y")]
    assert events == ["closed"]


async def test_zip_of_three_and_of_an_empty_source() -> None:
    got = await ts.zip(ts.source([1, 2, 3]), ts.source("ab"), ts.source(aiterate([7, 8, 9]))).collect()
    assert got == [(1, "a", 7), (2, "b", 8)]
    assert await ts.zip(ts.source(list[int]()), ts.source([1, 2])).collect() == []


# ------------------------------------------------------------------------------------------------ concat


async def test_concat_runs_sources_one_after_another() -> None:
    events: list[str] = []

    async def tracked(name: str, xs: list[int]) -> AsyncIterator[int]:
        events.append(f"{name} start")
        try:
            for x in xs:
                await asyncio.sleep(0.001)
                yield x
        finally:
            events.append(f"{name} end")

    got = await ts.concat(ts.source(tracked("a", [1, 2])), ts.source(tracked("b", [3])), ts.source([4, 5])).collect()
    assert got == [1, 2, 3, 4, 5]
    assert events == ["a start", "a end", "b start", "b end"]
    assert await ts.source([1]).concat(ts.source(list[int]()), ts.source([2])).collect() == [1, 2]


async def test_concat_does_not_start_a_later_source_when_the_run_stops_early() -> None:
    started: list[str] = []

    async def later() -> AsyncIterator[int]:
        started.append("later")
        yield 99

    assert await ts.source(range(10)).concat(ts.source(later())).take(3).collect() == [0, 1, 2]
    assert started == []


# ------------------------------------------------------------------------------------------------- merge


async def test_merge_interleaves_as_elements_arrive() -> None:
    async def slow() -> AsyncIterator[str]:
        await asyncio.sleep(0.05)
        yield "slow"

    async def fast() -> AsyncIterator[str]:
        for i in range(5):
            await asyncio.sleep(0.001)
            yield f"fast{i}"

    got = await ts.merge(ts.source(slow()), ts.source(fast())).collect()
    assert got == ["fast0", "fast1", "fast2", "fast3", "fast4", "slow"]


async def test_merge_delivers_a_fast_element_while_a_slow_source_is_waiting() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def never_done() -> AsyncIterator[int]:
        yield 0
        await asyncio.sleep(10)
        yield 1

    async with ts.source(never_done()).merge(ts.source(aiterate([10, 11], 0.005))).stream() as it:
        got = [await anext(it) for _ in range(3)]
    assert sorted(got) == [0, 10, 11]
    assert loop.time() - t0 < 1.0


async def test_merge_keeps_every_element_and_ends_when_all_end() -> None:
    got = await ts.merge(ts.source(range(100)), ts.source(aiterate(list(range(100, 110)))), ts.source(list[int]())).collect()
    assert sorted(got) == list(range(110))


async def test_merge_fails_with_an_input_error() -> None:
    async def bad() -> AsyncIterator[int]:
        yield 1
        raise Boom("input failed")

    with pytest.raises(Boom):
        await ts.source(aiterate([5, 6, 7], 0.001)).merge(ts.source(bad())).collect()


# ------------------------------------------------------------------------------------------------ sinks


async def test_first_on_an_empty_stream_raises_empty_stream_error() -> None:
    with pytest.raises(ts.EmptyStreamError) as info:
        await ts.source(list[int]()).into(ts.first())
    assert isinstance(info.value, ValueError)
    assert issubclass(ts.EmptyStreamError, ValueError)
    with pytest.raises(ValueError):
        await ts.source(list[int]()).filter(lambda x: x > 0).into(ts.first())


async def test_first_returns_the_first_and_stops_the_run() -> None:
    events: list[str] = []
    assert await ts.source(acounting([], events=events)).map(lambda x: x + 7).into(ts.first()) == 7
    assert events == ["closed"]


async def test_other_sinks() -> None:
    assert await ts.source(range(5)).into(ts.count()) == 5
    assert await ts.source(range(5)).into(ts.fold(10, lambda a, x: a + x)) == 20
    assert await ts.source(list[int]()).into(ts.fold("init", lambda a, x: a + str(x))) == "init"
    seen: list[int] = []

    async def record(x: int) -> None:
        await asyncio.sleep(0)
        seen.append(x)

    await ts.source(range(3)).into(ts.for_each(record))
    await ts.source(range(3, 5)).into(ts.for_each(seen.append))
    assert seen == [0, 1, 2, 3, 4]
    report = await ts.source(range(7)).filter(lambda x: x % 2 == 0).run()
    assert report.items == 4 and report.wall_time >= 0.0


# ------------------------------------------------------------------------------------------------- batch


async def test_batch_emits_lists_of_n_with_a_shorter_final_list() -> None:
    assert await ts.source(range(7)).batch(3).collect() == [[0, 1, 2], [3, 4, 5], [6]]
    assert await (ts.source(range(6)) | ts.batch(3)).collect() == [[0, 1, 2], [3, 4, 5]]
    assert await ts.source(range(2)).batch(5).collect() == [[0, 1]]
    assert await ts.source(list[int]()).batch(5).collect() == []
    assert await ts.source(aiterate([1, 2, 3])).batch(1).collect() == [[1], [2], [3]]


async def test_batch_is_independent_of_input_chunking() -> None:
    for size in (1, 2, 3, 7, 100):
        assert await ts.source(range(10), chunk_size=size).batch(4).collect() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_batch_within_and_flatten_round_trip() -> None:
    got = await ts.source(range(10)).batch_within(4, 1.0).flatten().collect()
    assert got == list(range(10))
    assert await (ts.source([[1, 2], [], [3]]) | ts.flatten()).collect() == [1, 2, 3]


# ------------------------------------------------------------------------------------------------ buffer


async def test_buffer_counts_elements_not_chunks() -> None:
    """buffer(3) over chunks of 10 holds about 3 elements, not 3 chunks (30 elements)."""
    pulled: list[int] = []
    async with ts.source(counting(pulled), chunk_size=10).buffer(3).stream() as it:
        assert await anext(it) == 0
        await asyncio.sleep(0.02)  # let the buffer fill up
        assert len(pulled) <= 20, f"buffer(3) pulled {len(pulled)} elements"


async def test_buffer_keeps_order_and_every_element() -> None:
    assert await ts.source(range(1000)).buffer(7).collect() == list(range(1000))
    assert await ts.source(aiterate(list(range(50)))).buffer(1).collect() == list(range(50))
    assert await (ts.source(range(3)) | ts.buffer(100)).collect() == [0, 1, 2]


async def test_buffer_prefetches_ahead_of_a_slow_consumer() -> None:
    pulled: list[int] = []
    async with ts.source(acounting(pulled)).buffer(4).stream() as it:
        assert await anext(it) == 0
        await asyncio.sleep(0.01)
        assert len(pulled) >= 5  # the next 4 were pulled while the consumer was busy


async def test_buffer_surfaces_an_upstream_error_after_its_prefix() -> None:
    def fail_at_5(x: int) -> int:
        if x == 5:
            raise Boom(x)
        return x

    got: list[int] = []
    with pytest.raises(Boom):
        async for x in ts.source(range(10), chunk_size=1).map(fail_at_5).buffer(3):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]


# ----------------------------------------------------------------------------------------------- timeout


async def test_timeout_raises_timeout_error_naming_the_stage() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    got: list[int] = []
    with pytest.raises(TimeoutError) as info:
        async for x in ts.source(aiterate([1, 2, 3], 0.2)).timeout(0.01):
            got.append(x)
    assert got == []
    assert loop.time() - t0 < 0.15
    text = str(info.value) + " ".join(notes(info.value))
    assert "timeout" in text


async def test_timeout_does_not_fire_when_elements_arrive_in_time() -> None:
    assert await ts.source(aiterate([1, 2, 3], 0.002)).timeout(0.2).collect() == [1, 2, 3]


async def test_timeout_counts_only_upstream_time_not_a_slow_consumer() -> None:
    got: list[int] = []
    async for x in ts.source(range(3)).timeout(0.01):
        await asyncio.sleep(0.03)
        got.append(x)
    assert got == [0, 1, 2]


async def test_timeout_fires_after_some_elements() -> None:
    async def stall() -> AsyncIterator[int]:
        yield 1
        yield 2
        await asyncio.sleep(1)
        yield 3

    got: list[int] = []
    with pytest.raises(TimeoutError):
        async for x in ts.source(stall()) | ts.timeout(0.02):
            got.append(x)
    assert got == [1, 2]


# ---------------------------------------------------------------------------------------------- throttle


async def test_throttle_spaces_elements() -> None:
    loop = asyncio.get_running_loop()
    stamps: list[float] = []
    rate, per = 2, 0.03
    async for _ in ts.source(range(7)).throttle(rate, per):
        stamps.append(loop.time())
    assert len(stamps) == 7
    for i in range(len(stamps) - rate):
        assert stamps[i + rate] - stamps[i] >= per - 0.003, f"more than {rate} elements within {per} s"
    total = stamps[-1] - stamps[0]
    assert 3 * per - 0.003 <= total <= 3 * per + 0.1  # 7 elements at 2 per window: 3 windows after the first


async def test_throttle_does_not_delay_a_slow_stream() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await (ts.source(aiterate([1, 2, 3], 0.01)) | ts.throttle(1, 0.005)).collect() == [1, 2, 3]
    assert loop.time() - t0 < 0.2


# -------------------------------------------------------------------------------- sync callables, async values


async def test_map_sync_lambda_returning_a_coroutine_is_awaited() -> None:
    got = await ts.source(range(20)).map(lambda x: double(x)).collect()
    assert got == [2 * x for x in range(20)]
    got2 = await (ts.source(range(5)) | ts.map(lambda x: double(x), of=int) | ts.map(lambda x: x + 1, of=int)).collect()
    assert got2 == [1, 3, 5, 7, 9]


async def test_map_sync_lambda_returning_a_coroutine_in_a_concurrent_stage() -> None:
    got = await ts.source(range(20)).map(lambda x: double(x), concurrency=4).collect()
    assert got == [2 * x for x in range(20)]


async def test_map_sync_lambda_returning_a_coroutine_never_passes_one_on_when_a_later_element_fails() -> None:
    """Elements before the failing one (in the same chunk) are delivered as awaited values."""

    def f(x: int) -> Any:
        if x == 5:
            raise Boom(x)
        return double(x)

    got: list[object] = []
    with pytest.raises(Boom):
        async for y in ts.source(range(10), chunk_size=10).map(f):
            got.append(y)
    assert settled(got) == [0, 2, 4, 6, 8]


async def test_filter_sync_lambda_returning_a_coroutine_over_several_chunks() -> None:
    assert await ts.source(range(10)).filter(lambda x: is_even(x)).collect() == [0, 2, 4, 6, 8]


async def test_tap_sync_lambda_returning_a_coroutine() -> None:
    seen: list[int] = []

    async def record(x: int) -> None:
        seen.append(x)

    assert await ts.source(range(4)).tap(lambda x: record(x)).collect() == [0, 1, 2, 3]
    assert seen == [0, 1, 2, 3]


async def test_map_sync_callable_that_sometimes_returns_a_coroutine() -> None:
    """A plain callable whose FIRST result is a plain value and later ones are coroutines: still awaited."""

    def f(x: int) -> Any:
        return x if x == 0 else double(x)

    got = await ts.source(range(6), chunk_size=6).map(f).collect()
    assert settled(got) == [0, 2, 4, 6, 8, 10]


async def test_async_partials_and_async_callable_objects() -> None:
    async def scale(k: int, x: int) -> int:
        return k * x

    class Adder:
        async def __call__(self, x: int) -> int:
            return x + 100

    assert await ts.source([1, 2]).map(functools.partial(scale, 3)).collect() == [3, 6]
    assert await ts.source([1, 2]).map(Adder()).collect() == [101, 102]


# ---------------------------------------------------------------------------------------------- flat_map


async def test_flat_map_with_an_async_generator_function() -> None:
    async def repeat(x: int) -> AsyncIterator[int]:
        for _ in range(x):
            await asyncio.sleep(0)
            yield x

    assert await ts.source([1, 2, 3]).flat_map(repeat).collect() == [1, 2, 2, 3, 3, 3]
    assert await ts.source([3, 0, 1]).flat_map(repeat, concurrency=3).collect() == [3, 3, 3, 1]


async def test_flat_map_with_async_iterable_sync_iterable_and_async_list_results() -> None:
    class Pair:
        def __init__(self, x: int) -> None:
            self.x = x

        def __aiter__(self) -> AsyncIterator[int]:
            return aiterate([self.x, -self.x])

    assert await ts.source([1, 2]).flat_map(Pair).collect() == [1, -1, 2, -2]
    assert await ts.source([1, 2]).flat_map(lambda x: aiterate([x] * x)).collect() == [1, 2, 2]
    assert await ts.source([1, 2]).flat_map(lambda x: range(x)).collect() == [0, 0, 1]

    async def listed(x: int) -> list[int]:
        return [x, x]

    assert await ts.source([1, 2]).flat_map(listed).collect() == [1, 1, 2, 2]

    def gen(x: int) -> Iterator[str]:
        yield from str(x)

    assert await (ts.source([12, 3]) | ts.flat_map(gen, of=int)).collect() == ["1", "2", "3"]


async def test_flat_map_closes_an_inner_async_generator_that_fails() -> None:
    events: list[str] = []

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
            if x == 2:
                raise Boom(x)
            yield x
        finally:
            events.append(f"closed {x}")

    with pytest.raises(Boom) as info:
        await ts.source([1, 2, 3]).flat_map(inner).collect()
    assert "closed 2" in events
    assert any("'inner'" in n and "2" in n for n in notes(info.value))


# --------------------------------------------------------------------------------------------- skip, tap


async def test_skip_tap_filter() -> None:
    assert await ts.source(range(5)).skip(2).collect() == [2, 3, 4]
    assert await (ts.source(range(5)) | ts.skip(10)).collect() == []
    assert await ts.source(range(5)).skip(0).collect() == [0, 1, 2, 3, 4]
    seen: list[int] = []
    assert await ts.source(range(3)).tap(seen.append).collect() == [0, 1, 2]
    assert seen == [0, 1, 2]
    assert await ts.source(range(10)).filter(is_even, concurrency=3).collect() == [0, 2, 4, 6, 8]


async def test_take_edge_cases() -> None:
    events: list[str] = []
    assert await ts.source(counting([], events=events)).take(0).collect() == []
    assert await ts.source(range(3)).take(10).collect() == [0, 1, 2]
    assert await ts.source(aiterate([1, 2, 3])).take(2).take(5).collect() == [1, 2]


# -------------------------------------------------------------------------------------------- errors


async def test_error_is_the_original_exception_with_a_note_naming_stage_and_element() -> None:
    raised: list[Boom] = []

    def explode(x: int) -> int:
        if x == 3:
            raised.append(Boom("the original"))
            raise raised[-1]
        return x

    async def aexplode(x: int) -> int:
        return explode(x)

    cases: list[ts.Source[int]] = [
        ts.source(range(10)).map(explode),
        ts.source(range(10)).map(aexplode),
        ts.source(range(10)).map(aexplode, concurrency=4),
        ts.source(range(10)).map(aexplode, concurrency=4, ordered=False),
        ts.source(aiterate(list(range(10)))).map(explode).buffer(2),
    ]
    for src in cases:
        with pytest.raises(Boom) as info:
            await src.collect()
        assert info.value is raised[-1]
        assert not isinstance(info.value, BaseExceptionGroup)
        ns = notes(info.value)
        assert len(ns) == 1, ns
        assert "'explode'" in ns[0] or "'aexplode'" in ns[0]
        assert "3" in ns[0]


async def test_error_note_uses_the_given_stage_name() -> None:
    def fail(x: str) -> str:
        raise KeyError(x)

    with pytest.raises(KeyError) as info:
        await ts.source(["abc"]).map(fail, name="lookup").collect()
    assert type(info.value) is KeyError
    assert any("'lookup'" in n and "'abc'" in n for n in notes(info.value))


@pytest.mark.parametrize("op", ["filter", "tap", "flat_map", "take_while", "scan", "stateful_map", "distinct"])
async def test_error_in_each_element_operator_is_annotated(op: str) -> None:
    def bad(x: int) -> Any:
        if x == 2:
            raise Boom(x)
        return [x] if op == "flat_map" else x + 1  # truthy and hashable

    def bad2(s: int, x: int) -> Any:
        bad(x)
        return s, x

    builders: dict[str, Callable[[], ts.Source[Any]]] = {
        "filter": lambda: ts.source(range(5)).filter(bad),
        "tap": lambda: ts.source(range(5)).tap(bad),
        "flat_map": lambda: ts.source(range(5)).flat_map(bad),
        "take_while": lambda: ts.source(range(5)).take_while(bad),
        "scan": lambda: ts.source(range(5)).scan(0, bad2),
        "stateful_map": lambda: ts.source(range(5)).stateful_map(0, bad2),
        "distinct": lambda: ts.source(range(5)).distinct(bad),
    }
    src = builders[op]()
    with pytest.raises(Boom) as info:
        await src.collect()
    assert any("stage" in n and "2" in n for n in notes(info.value)), notes(info.value)


async def test_elements_before_a_failure_are_delivered_then_the_error() -> None:
    def fail_at_4(x: int) -> int:
        if x == 4:
            raise Boom(x)
        return x

    for size in (1, 3, 100):
        got: list[int] = []
        with pytest.raises(Boom):
            async for x in ts.source(range(10), chunk_size=size).map(fail_at_4).filter(lambda x: True):
                got.append(x)
        assert got == [0, 1, 2, 3], size


# -------------------------------------------------------------------------------------- invalid options


def _raises_naming(exc: type[Exception], *words: str) -> Any:
    return pytest.raises(exc, match=".*".join(words))


def test_invalid_concurrency_is_rejected_at_build_time() -> None:
    def f(x: int) -> int:
        return x

    with _raises_naming(ValueError, "'f'", "concurrency"):
        ts.source([1]).map(f, concurrency=0)
    with _raises_naming(TypeError, "'f'", "concurrency"):
        ts.source([1]).map(f, concurrency=True)
    with _raises_naming(ValueError, "'f'", "concurrency"):
        ts.map(f, concurrency=-3)
    with _raises_naming(ValueError, "'f'", "window"):
        ts.source([1]).map(f, concurrency=4, window=2)
    not_an_int: Any = 1.5
    with _raises_naming(TypeError, "'named'", "concurrency"):
        ts.source([1]).filter(f, concurrency=not_an_int, name="named")


def test_invalid_counts_are_rejected_at_build_time() -> None:
    with _raises_naming(ValueError, "take", "n"):
        ts.take(-1)
    with _raises_naming(ValueError, "take", "n"):
        ts.source([1]).take(-1)
    with _raises_naming(ValueError, "skip", "n"):
        ts.skip(-1)
    with _raises_naming(ValueError, "batch", "n"):
        ts.batch(0)
    with _raises_naming(ValueError, "batch", "n"):
        ts.source([1]).batch(0)
    with _raises_naming(ValueError, "buffer", "n"):
        ts.buffer(0)
    with _raises_naming(ValueError, "batch_within", "n"):
        ts.batch_within(0, 1.0)
    with _raises_naming(ValueError, "batch_within", "seconds"):
        ts.batch_within(3, 0)
    with _raises_naming(ValueError, "timeout", "seconds"):
        ts.timeout(-1.0)
    with _raises_naming(ValueError, "throttle", "rate"):
        ts.throttle(0, 1.0)
    with _raises_naming(ValueError, "throttle", "per"):
        ts.throttle(1, 0.0)
    with _raises_naming(ValueError, "source", "chunk_size"):
        ts.source([1], chunk_size=0)
    with _raises_naming(TypeError, "take", "n"):
        ts.take(True)


def test_non_callables_and_non_iterables_are_rejected_at_build_time() -> None:
    not_callable: Any = 42
    with _raises_naming(TypeError, "map", "callable"):
        ts.source([1]).map(not_callable)
    with _raises_naming(TypeError, "filter", "callable"):
        ts.filter(not_callable)
    with _raises_naming(TypeError, "scan", "callable"):
        ts.source([1]).scan(0, not_callable)
    with _raises_naming(TypeError, "distinct", "callable"):
        ts.source([1]).distinct(not_callable)
    not_iterable: Any = 42
    with _raises_naming(TypeError, "source", "42"):
        ts.source(not_iterable)
    with _raises_naming(TypeError, "merge"):
        ts.source([1]).merge(not_iterable)
    with _raises_naming(TypeError, "name"):
        ts.source([1]).map(lambda x: x, name="")


def test_source_or_returns_not_implemented_for_unknown_operands() -> None:
    src: Any = ts.source([1])
    with pytest.raises(TypeError):
        _ = src | 42
    stage: Any = ts.take(1)
    with pytest.raises(TypeError):
        _ = [1, 2] | stage
