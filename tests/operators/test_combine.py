"""The combining operators (``zip``, ``concat``, ``merge``): their documented semantics and edge cases, and that an
input that stops or fails closes the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import typedstream as ts

from tests.support.errors import Boom
from tests.support.operators import acounting, aiterate, counting

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


async def test_zip_of_seven_sources_gives_seven_tuples() -> None:
    srcs = [ts.source(range(k, k + 3)) for k in range(7)]
    assert await ts.zip(*srcs).collect() == [tuple(range(j, j + 7)) for j in range(3)]
    assert await srcs[0].zip(*srcs[1:]).collect() == [tuple(range(j, j + 7)) for j in range(3)]
