"""The element operators (``map``, ``filter``, ``flat_map``, ``tap``, ``take_while``; docs/design.md): their
documented semantics and edge cases, sync callables that return awaitables, and how an element's error comes out
(the original exception, with a note naming the stage and the element)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import typedstream as ts

from tests.support.errors import Boom, notes
from tests.support.operators import acounting, aiterate, counting

# ------------------------------------------------------------------------------------------------- helpers


async def double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


async def is_even(x: int) -> bool:
    await asyncio.sleep(0)
    return x % 2 == 0


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


# --------------------------------------------------------------------------------------------------- map


async def test_async_map_concurrent() -> None:
    async def slow(x: int) -> int:
        await asyncio.sleep(0.001)
        return x * 10

    assert await ts.source(range(10)).map(slow, concurrency=4).collect() == [x * 10 for x in range(10)]


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


async def test_a_plain_callable_that_starts_returning_coroutines_later_is_still_awaited() -> None:
    """After its first chunks of plain values a stage no longer checks every result; a callable that switches to
    returning coroutines used to pass coroutine objects on as data."""

    async def double(x: int) -> int:
        return 2 * x

    calls = 0

    def sometimes(x: int) -> Any:
        nonlocal calls
        calls += 1
        return x if calls <= 5 else double(x)

    got = await ts.source(range(2000)).map(sometimes).collect()
    assert got == [x if x < 5 else 2 * x for x in range(2000)]


# The chunk in which the predicate switched went through C filter, which dropped its coroutines unawaited.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::RuntimeWarning")
async def test_a_predicate_that_starts_returning_coroutines_later_fails_its_stage_clearly() -> None:
    """A proven-sync filter runs as C filter, which keeps every element whose result is an awaitable (truthy):
    it used to give a wrong result silently. The switch is seen at the next chunk and fails the stage."""

    async def odd(x: int) -> bool:
        return x % 2 == 1

    calls = 0

    def sometimes(x: int) -> Any:
        nonlocal calls
        calls += 1
        return x % 2 == 1 if calls <= 5 else odd(x)

    with pytest.raises(TypeError, match="stage 'sometimes': the predicate returned an awaitable after returning"):
        await ts.source(range(4000)).filter(sometimes).collect()


async def test_not_none_drops_none_and_counts_it_as_filtered() -> None:
    xs: list[int | None] = [None, 0, None, 1, 2, None]
    reports: list[ts.RunReport] = []
    src = ts.source(xs) | ts.not_none()
    assert await src.collect(on_report=reports.append) == [0, 1, 2]
    s = reports[0].stage("not_none")
    assert (s.kind, s.items_in, s.items_out, s.filtered) == ("not_none", 6, 3, 3)
    # falsy values that are not None stay; the method form is the same stage
    assert await ts.source([0, "", None, False]).not_none().collect() == [0, "", False]


async def test_awaiting_runs_a_function_typed_as_returning_an_awaitable() -> None:
    async def fetch(x: int) -> str:
        await asyncio.sleep(0)
        return str(x)

    loop = asyncio.get_running_loop()

    def later(x: int) -> asyncio.Future[int]:
        fut: asyncio.Future[int] = loop.create_future()
        loop.call_soon(fut.set_result, x * 10)
        return fut

    assert await (ts.source(range(3)) | ts.map(ts.awaiting(fetch))).collect() == ["0", "1", "2"]
    assert await ts.source(range(3)).map(ts.awaiting(later), concurrency=2).collect() == [0, 10, 20]
    assert ts.awaiting(fetch).__name__ == "fetch"  # the stage keeps the function's name
    with pytest.raises(TypeError, match="awaiting: the function must be callable"):
        ts.awaiting(3)  # type: ignore[arg-type]
