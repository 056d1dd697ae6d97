"""The chunk operators (``take``, ``skip``, ``batch``, ``flatten``, ``distinct``, ``scan``, ``stateful_map``): their
documented semantics and edge cases."""

from __future__ import annotations

import typedstream as ts

from tests.support.operators import aiterate, counting

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


# ---------------------------------------------------------------------------------------------- distinct


async def test_distinct_keeps_the_first_of_each_key() -> None:
    words = ["apple", "avocado", "banana", "blueberry", "cherry", "apricot"]
    assert await ts.source(words).distinct(lambda w: w[0]).collect() == ["apple", "banana", "cherry"]
    got = await (ts.source(words) | ts.distinct(len, of=str)).collect()
    assert got == ["apple", "avocado", "banana", "blueberry"]


async def test_distinct_without_key_uses_the_element() -> None:
    assert await ts.source([3, 1, 3, 2, 1]).distinct().collect() == [3, 1, 2]
    assert await (ts.source([3, 1, 3, 2, 1]) | ts.distinct()).collect() == [3, 1, 2]


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


# -------------------------------------------------------------------------------------------------- take


async def test_take_edge_cases() -> None:
    events: list[str] = []
    assert await ts.source(counting([], events=events)).take(0).collect() == []
    assert await ts.source(range(3)).take(10).collect() == [0, 1, 2]
    assert await ts.source(aiterate([1, 2, 3])).take(2).take(5).collect() == [1, 2]
