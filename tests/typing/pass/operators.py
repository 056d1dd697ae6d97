"""Every operator: free form with a typed function, free form with ``of=T`` and a lambda, method form with a
lambda on a Source and on a Stream; sync and async functions; concurrency options."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterator
from typing import TypeGuard, assert_type

from .elements import (
    Row,
    digits,
    digits_later,
    enrich,
    is_even,
    is_row,
    parse,
    parse_or_none,
    repeat,
    rescore,
    row_key,
    show,
    slow_show,
)

import typedstream as ts


async def twice(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


async def scale(x: int, k: int) -> int:
    await asyncio.sleep(0)
    return x * k


def is_str(x: int | str) -> TypeGuard[str]:
    return isinstance(x, str)


async def positive(x: int) -> bool:
    await asyncio.sleep(0)
    return x > 0


async def log(x: int) -> None:
    await asyncio.sleep(0)


async def map_() -> None:
    src = ts.source(range(10))
    # free form: typed functions, sync and async (async def -> the awaited type)
    assert_type(ts.map(show), ts.Stream[int, str])
    assert_type(ts.map(slow_show), ts.Stream[int, str])
    assert_type(ts.map(enrich), ts.Stream[Row, Row])
    assert_type(src | ts.map(slow_show), ts.Source[str])
    # free form with of= and a lambda; a lambda returning a coroutine gives the awaited type
    assert_type(ts.map(lambda x: x + 1, of=int), ts.Stream[int, int])
    assert_type(ts.map(lambda x: str(x), of=int), ts.Stream[int, str])
    assert_type(ts.map(lambda x: twice(x), of=int), ts.Stream[int, int])
    assert_type(ts.map(lambda r: r.name, of=Row), ts.Stream[Row, str])
    assert_type(src | ts.map(lambda x: x / 2, of=int), ts.Source[float])
    # concurrency options
    assert_type(ts.map(slow_show, concurrency=8), ts.Stream[int, str])
    assert_type(ts.map(slow_show, concurrency=8, ordered=False, window=64, name="show"), ts.Stream[int, str])
    assert_type(ts.map(lambda x: twice(x), of=int, concurrency=4, ordered=False), ts.Stream[int, int])
    # a partial of an async function (its parameters are not visible to mypy: give of= in the free form)
    times3 = functools.partial(scale, k=3)
    assert_type(src.map(times3), ts.Source[int])
    assert_type(ts.map(times3, of=int), ts.Stream[int, int])
    # method form on a Source
    assert_type(src.map(lambda x: x + 1), ts.Source[int])
    assert_type(src.map(lambda x: str(x)), ts.Source[str])
    assert_type(src.map(lambda x: twice(x)), ts.Source[int])
    assert_type(src.map(twice, concurrency=4, ordered=False, window=16, name="twice"), ts.Source[int])
    assert_type(src.map(lambda x: slow_show(x), concurrency=4), ts.Source[str])
    assert_type(src.map(show).map(lambda s: s.upper()).map(len), ts.Source[int])
    # method form on a Stream
    stage = ts.map(parse)
    assert_type(stage.map(lambda r: r.id), ts.Stream[str, int])
    assert_type(stage.map(lambda r: enrich(r), concurrency=2), ts.Stream[str, Row])
    assert_type(stage.map(rescore).map(enrich), ts.Stream[str, Row])
    assert_type(stage.map(lambda r: dataclasses.replace(r, score=1.0)), ts.Stream[str, Row])


async def filter_() -> None:
    src = ts.source(range(10))
    # without of=, a type-keeping stage is a KeepStage, typed by its neighbours in a | chain; of=T names it
    assert_type(ts.filter(is_even), ts.KeepStage[int])
    assert_type(ts.filter(is_even, of=int), ts.Stream[int, int])
    assert_type(ts.filter(positive, concurrency=2), ts.KeepStage[int])  # an async predicate
    assert_type(ts.filter(lambda x: x > 3, of=int), ts.Stream[int, int])
    assert_type(ts.filter(lambda x: positive(x), of=int), ts.Stream[int, int])  # a lambda returning a coroutine
    assert_type(src | ts.filter(is_even), ts.Source[int])
    assert_type(src.filter(lambda x: x % 2 == 0), ts.Source[int])
    assert_type(src.filter(positive), ts.Source[int])
    assert_type(src.filter(lambda x: positive(x), concurrency=4), ts.Source[int])
    assert_type(ts.map(show).filter(lambda s: s != "3"), ts.Stream[int, str])
    # TypeIs / TypeGuard predicates narrow the element type
    rows = ts.source(["1,a", "bad"]) | ts.map(parse_or_none)
    assert_type(rows, ts.Source[Row | None])
    assert_type(rows | ts.filter(is_row), ts.Source[Row])
    assert_type(rows.filter(is_row), ts.Source[Row])
    assert_type(ts.map(parse_or_none).filter(is_row), ts.Stream[str, Row])
    assert_type(ts.filter(is_row), ts.Stream[Row | None, Row])
    values: list[int | str] = [1, "a"]
    mixed = ts.source(values)
    assert_type(mixed, ts.Source[int | str])
    assert_type(mixed.filter(is_str), ts.Source[str])
    assert_type(mixed | ts.filter(is_str), ts.Source[str])


def describe(x: object) -> str:
    return repr(x)


def wide_key(x: object) -> int:
    return hash(x)


async def keep_() -> None:
    """tap, filter, take_while and distinct(key) with a function of a wider parameter type (print, bool, a
    logger) keep the chain's element type, before and after, in the | form and as the first stage of a segment."""
    ints = ts.source(range(10))
    assert_type(ints | ts.tap(print), ts.Source[int])
    assert_type(ints | ts.tap(print) | ts.map(show), ts.Source[str])
    assert_type(ints | ts.filter(bool) | ts.map(show), ts.Source[str])
    assert_type(ints | ts.take_while(bool) | ts.map(show), ts.Source[str])
    assert_type(ints | ts.distinct(wide_key) | ts.map(show), ts.Source[str])
    assert_type(ints | ts.tap(log) | ts.tap(describe), ts.Source[int])
    stage = ts.map(show)
    assert_type(stage | ts.tap(print), ts.Stream[int, str])
    assert_type(stage | ts.filter(bool) | ts.map(len), ts.Stream[int, int])
    # a segment that starts with one takes its type from the stream it leads into
    assert_type(ts.tap(print) | ts.map(show), ts.Stream[int, str])
    assert_type(ts.filter(bool) | stage, ts.Stream[int, str])
    assert_type(ints | (ts.tap(print) | ts.map(show)), ts.Source[str])
    # with the other type-keeping stage objects, in either order
    assert_type(ts.tap(print) | ts.take(3), ts.KeepStage[object])
    assert_type(ts.take(3) | ts.tap(print), ts.KeepStage[object])
    assert_type(ts.tap(log) | ts.tap(print), ts.KeepStage[int])
    assert_type(ints | (ts.take(3) | ts.filter(bool)), ts.Source[int])
    # where a Stream is wanted by name, of=T makes one
    named: ts.Stream[int, int] = ts.tap(print, of=int)
    assert_type(ints | named, ts.Source[int])


async def flat_map_() -> None:
    src = ts.source(range(10))
    assert_type(ts.flat_map(digits), ts.Stream[int, int])  # Iterable results
    assert_type(ts.flat_map(digits_later), ts.Stream[int, int])  # async def returning an Iterable
    assert_type(ts.flat_map(repeat), ts.Stream[int, str])  # AsyncIterable results
    assert_type(ts.flat_map(lambda x: [x, x], of=int), ts.Stream[int, int])
    assert_type(ts.flat_map(lambda x: str(x), of=int), ts.Stream[int, str])  # a str is an Iterable[str]
    assert_type(ts.flat_map(lambda x: digits_later(x), of=int), ts.Stream[int, int])
    assert_type(ts.flat_map(lambda x: repeat(x), of=int, concurrency=2), ts.Stream[int, str])
    assert_type(src | ts.flat_map(repeat), ts.Source[str])
    assert_type(src.flat_map(lambda x: range(x)), ts.Source[int])
    assert_type(src.flat_map(lambda x: digits_later(x), concurrency=3), ts.Source[int])
    assert_type(src.flat_map(repeat), ts.Source[str])
    assert_type(ts.map(show).flat_map(lambda s: s.split(",")), ts.Stream[int, str])


async def tap_() -> None:
    src = ts.source(range(10))
    assert_type(ts.tap(print, of=int), ts.Stream[int, int])
    assert_type(ts.tap(log), ts.KeepStage[int])
    assert_type(ts.tap(print), ts.KeepStage[object])
    assert_type(ts.tap(lambda x: print(x), of=int), ts.Stream[int, int])
    assert_type(ts.tap(lambda x: log(x), of=int), ts.Stream[int, int])
    assert_type(src | ts.tap(log, concurrency=2), ts.Source[int])
    assert_type(src.tap(lambda x: print(x)), ts.Source[int])
    assert_type(src.tap(log, concurrency=2, ordered=False), ts.Source[int])
    assert_type(ts.map(parse).tap(lambda r: print(r.name)), ts.Stream[str, Row])


async def take_while_() -> None:
    src = ts.source(range(10))
    assert_type(ts.take_while(is_even), ts.KeepStage[int])
    assert_type(ts.take_while(lambda x: x < 5, of=int), ts.Stream[int, int])
    assert_type(src | ts.take_while(is_even), ts.Source[int])
    assert_type(src.take_while(lambda x: x < 5), ts.Source[int])
    assert_type(ts.map(parse).take_while(lambda r: r.id < 5), ts.Stream[str, Row])


async def same_type_stages() -> None:
    src = ts.source(range(10))
    # after a Source
    assert_type(src | ts.take(5), ts.Source[int])
    assert_type(src | ts.skip(2), ts.Source[int])
    assert_type(src | ts.buffer(16), ts.Source[int])
    assert_type(src | ts.timeout(1.5), ts.Source[int])
    assert_type(src | ts.throttle(10), ts.Source[int])
    assert_type(src | ts.throttle(10, per=0.5), ts.Source[int])
    assert_type(src | ts.distinct(), ts.Source[int])
    assert_type(src | ts.take(5) | ts.skip(1) | ts.buffer(2) | ts.timeout(1) | ts.throttle(5), ts.Source[int])
    # after a Stream
    stage = ts.map(parse)
    assert_type(stage | ts.take(5), ts.Stream[str, Row])
    assert_type(stage | ts.skip(2), ts.Stream[str, Row])
    assert_type(stage | ts.buffer(16), ts.Stream[str, Row])
    assert_type(stage | ts.timeout(1.5), ts.Stream[str, Row])
    assert_type(stage | ts.throttle(10, 2.0), ts.Stream[str, Row])
    assert_type(stage | ts.distinct(), ts.Stream[str, Row])
    # in the middle of a chain, the type flows through
    assert_type(src | ts.map(show) | ts.take(3) | ts.map(parse), ts.Source[Row])
    assert_type(stage | ts.take(3) | ts.map(row_key), ts.Stream[str, str])
    # method forms
    assert_type(src.take(5).skip(1).buffer(2).timeout(1.0).throttle(5, per=2.0).distinct(), ts.Source[int])
    assert_type(stage.take(5).skip(1).buffer(2).timeout(1.0).throttle(5).distinct(), ts.Stream[str, Row])


async def batch_() -> None:
    src = ts.source(range(10))
    assert_type(src | ts.batch(3), ts.Source[list[int]])
    assert_type(src | ts.batch_within(3, 0.1), ts.Source[list[int]])
    assert_type(ts.source(["1,a"]) | ts.map(parse_or_none) | ts.batch(3), ts.Source[list[Row | None]])
    assert_type(ts.map(show) | ts.batch(3), ts.Stream[int, list[str]])
    assert_type(ts.map(show) | ts.batch_within(3, 1.0), ts.Stream[int, list[str]])
    assert_type(src.batch(3), ts.Source[list[int]])
    assert_type(src.batch_within(3, seconds=0.1), ts.Source[list[int]])
    assert_type(ts.map(show).batch(2), ts.Stream[int, list[str]])
    assert_type(ts.map(show).batch_within(2, 0.5), ts.Stream[int, list[str]])
    assert_type(src | ts.batch(3) | ts.map(lambda xs: sum(xs), of=list[int]), ts.Source[int])
    assert_type(src.batch(3).map(lambda xs: len(xs)), ts.Source[int])


async def flatten_() -> None:
    src = ts.source(range(10))
    assert_type(src | ts.batch(3) | ts.flatten(), ts.Source[int])
    assert_type(src | ts.map(digits) | ts.flatten(), ts.Source[int])
    assert_type(src | ts.map(show) | ts.flatten(), ts.Source[str])  # a str is an Iterable[str]
    assert_type(ts.map(digits) | ts.flatten(), ts.Stream[int, int])
    assert_type(ts.source([(1, 2), (3, 4)]) | ts.flatten(), ts.Source[int])
    assert_type(src.batch(3).flatten(), ts.Source[int])
    assert_type(src.map(digits).flatten(), ts.Source[int])
    assert_type(ts.map(digits).flatten(), ts.Stream[int, int])
    assert_type(ts.map(show).batch(2).flatten(), ts.Stream[int, str])


def add(acc: int, x: int) -> int:
    return acc + x


def best(acc: Row, r: Row) -> Row:
    return r if r.score > acc.score else acc


async def scan_() -> None:
    src = ts.source(range(10))
    assert_type(ts.scan(0, add), ts.Stream[int, int])
    assert_type(ts.scan(0, lambda acc, x: acc + x, of=int), ts.Stream[int, int])
    assert_type(ts.scan("", lambda acc, x: acc + str(x), of=int), ts.Stream[int, str])
    assert_type(ts.scan(Row(0, ""), best), ts.Stream[Row, Row])
    assert_type(src | ts.scan(0, add), ts.Source[int])
    assert_type(src.scan(0, lambda acc, x: acc + x), ts.Source[int])
    assert_type(src.scan(0.0, lambda acc, x: acc + x / 2), ts.Source[float])
    assert_type(src.scan(list[int](), lambda acc, x: [*acc, x]), ts.Source[list[int]])
    assert_type(ts.map(parse).scan(0.0, lambda acc, r: acc + r.score), ts.Stream[str, float])


def running_total(state: int, x: int) -> tuple[int, str]:
    return state + x, f"{x}->{state + x}"


def new_seen() -> set[str]:
    return set()


def first_seen(seen: set[str], r: Row) -> tuple[set[str], bool]:
    fresh = r.name not in seen
    return seen | {r.name}, fresh


async def stateful_map_() -> None:
    src = ts.source(range(10))
    # a value init
    assert_type(ts.stateful_map(0, running_total), ts.Stream[int, str])
    assert_type(ts.stateful_map(0, lambda s, x: (s + x, s), of=int), ts.Stream[int, int])
    assert_type(src | ts.stateful_map(0, running_total), ts.Source[str])
    assert_type(src.stateful_map(0, lambda s, x: (s + x, float(s))), ts.Source[float])
    # a factory init (called once per run)
    assert_type(ts.stateful_map(new_seen, first_seen), ts.Stream[Row, bool])
    assert_type(ts.stateful_map(lambda: 0, running_total), ts.Stream[int, str])
    # pyrefly does not type a lambda step against a lambda factory's state (docs/typing.md: checker limits)
    assert_type(ts.stateful_map(lambda: 0, lambda s, x: (s + 1, (s, x)), of=str), ts.Stream[str, tuple[int, str]])  # pyrefly: ignore[assert-type]
    assert_type(src.stateful_map(lambda: 0, lambda s, x: (s + x, str(s))), ts.Source[str])
    assert_type(ts.map(parse).stateful_map(new_seen, first_seen), ts.Stream[str, bool])
    assert_type(ts.map(parse).stateful_map(0, lambda n, r: (n + 1, (n, r))), ts.Stream[str, tuple[int, Row]])


async def distinct_() -> None:
    src = ts.source(["1,a", "2,b", "3,a"]) | ts.map(parse)
    assert_type(src | ts.distinct(row_key), ts.Source[Row])
    assert_type(src | ts.distinct(lambda r: r.name, of=Row), ts.Source[Row])
    assert_type(ts.distinct(row_key), ts.KeepStage[Row])
    assert_type(ts.distinct(row_key, of=Row), ts.Stream[Row, Row])
    assert_type(ts.distinct(lambda x: x % 3, of=int, name="mod3"), ts.Stream[int, int])
    assert_type(src.distinct(lambda r: r.name), ts.Source[Row])
    assert_type(src.distinct(row_key, name="by_name"), ts.Source[Row])
    assert_type(ts.map(parse).distinct(lambda r: (r.id, r.name)), ts.Stream[str, Row])


async def agen(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


async def async_sources() -> None:
    # operators behave the same over an async source
    src = ts.source(agen(5))
    assert_type(src.map(lambda x: twice(x), concurrency=2).batch(2).flatten().take(3), ts.Source[int])
