"""Rule 3: Runs are independent. Two runs of one pipeline, one after the other or at once, share nothing: every
stage's state (``scan``, ``stateful_map``, ``distinct``, ``batch``) starts fresh, and a ``stateful_map`` factory is
called once per run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator

import pytest

import typedstream as ts


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


@pytest.mark.parametrize("kind", ["generator", "async generator", "iter()"])
async def test_rule03_a_second_run_over_a_one_shot_iterator_fails_instead_of_giving_nothing(kind: str) -> None:
    """A Source over an iterator used to return [] on its second run, silently."""

    def gen() -> Iterator[int]:
        yield from range(3)

    async def agen() -> AsyncIterator[int]:
        for x in range(3):
            yield x

    items: Iterable[int] | AsyncIterable[int] = (
        gen() if kind == "generator" else agen() if kind == "async generator" else iter([0, 1, 2])
    )
    src = ts.source(items).map(lambda x: x + 1)
    assert await src.collect() == [1, 2, 3]
    with pytest.raises(RuntimeError, match="stage 'source': the input is an iterator.*consumed") as info:
        await src.collect()
    assert "typedstream: stage 'source' failed" in getattr(info.value, "__notes__", [])


async def test_rule03_a_re_iterable_source_runs_any_number_of_times() -> None:
    class Numbers:
        def __iter__(self) -> Iterator[int]:
            return iter(range(3))

    src = ts.source(Numbers()).map(lambda x: x * 2)
    assert [await src.collect() for _ in range(3)] == [[0, 2, 4]] * 3
