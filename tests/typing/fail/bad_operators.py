"""Operator misuse: lambdas in the method form, keyword typos, of= against the function, flatten, results."""

from __future__ import annotations

import asyncio

import typedstream as ts


def show(x: int) -> str:
    return str(x)


def length(s: str) -> int:
    return len(s)


async def twice(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


def add(acc: int, x: int) -> int:
    return acc + x


async def lambdas_in_methods() -> None:
    ints = ts.source(range(3))
    _a = ints.map(lambda x: x.upper())  # E: int has no upper
    _b = ints.filter(lambda x: x.startswith("a"))  # E: int has no startswith
    _c = ints.map(show).map(lambda s: s + 1)  # E: str + int
    _d = ts.map(show).map(lambda s: s.bit_length())  # E: str has no bit_length
    _e = ints.flat_map(lambda x: x + 1)  # E: an int is not iterable
    _f = ints.scan("", lambda acc, x: acc + x)  # E: str + int
    _g = ints.stateful_map(0, lambda s, x: s + x)  # E: f must return (state, output)
    _h = ints.tap(lambda x: x.upper())  # E: int has no upper
    _i = ints.take_while(lambda x: x.upper())  # E: int has no upper


async def keyword_typos() -> None:
    ints = ts.source(range(3))
    _a = ints.map(twice, concurrancy=4)  # E: unexpected keyword concurrancy
    _b = ts.map(twice, concurrancy=4)  # E: unexpected keyword concurrancy
    _c = ts.filter(show, orderd=False)  # E: unexpected keyword orderd
    _d = ints.take_while(show, concurrency=2)  # E: take_while takes no concurrency
    _e = ts.map(show, concurrency="4")  # E: concurrency must be an int
    _f = ts.take("5")  # E: n must be an int
    _g = ts.batch_within(10, seconds="1")  # E: seconds must be a float


async def wrong_of() -> None:
    _a = ts.map(show, of=str)  # E: show takes int, not str
    _b = ts.map(lambda x: x.upper(), of=int)  # E: int has no upper
    _c = ts.filter(length, of=int)  # E: length takes str
    _d = ts.scan(0, add, of=str)  # E: add takes int elements
    _e = ts.map(lambda x: twice(x), of=str)  # E: twice takes int
    _f = ts.tap(length, of=int)  # E: length takes str
    _g = ts.distinct(length, of=int)  # E: length takes str


async def flatten_non_iterable() -> None:
    ints = ts.source(range(3))
    _a = ints | ts.flatten()  # E: int is not iterable
    _b = ints.flatten()  # E: int is not iterable
    _c = ts.map(twice) | ts.flatten()  # E: int is not iterable
    _d = ts.map(twice).flatten()  # E: int is not iterable


async def wrong_result_types() -> None:
    ints = ts.source(range(3))
    _a: ts.Source[str] = ints.map(lambda x: twice(x))  # E: an async lambda gives int, not str
    _b: ts.Stream[int, str] = ts.map(twice)  # E: async def gives Stream[int, int]
    _c: ts.Source[int] = ints.batch(2)  # E: batch gives list[int]
    _d: ts.Source[str] = ints | ts.take(2)  # E: take keeps int
    _e: ts.Stream[str, str] = ts.map(show)  # E: map(show) takes int
    _f: ts.Source[int] = ints.stateful_map(0, lambda s, x: (s + x, str(x)))  # E: outputs str
    _g: ts.Source[str] = ints.scan(0, add)  # E: scan(0, add) gives int
    _h: ts.Source[list[str]] = ints.batch(2)  # E: batch gives list[int]


async def unhashable_keys() -> None:
    ints = ts.source(range(3))
    _a = ints.distinct(lambda x: [x])  # E: a list key is not Hashable
    _b = ts.distinct(lambda x: {x}, of=int)  # E: a set key is not Hashable


async def distinct_needs_hashable_elements() -> None:
    # The | form is rejected by pyright only: mypy widens Source[list[int]] to Source[object] (covariance).
    _ = ts.source([[1], [2]]).distinct()  # E: list[int] is not hashable


def bad_executors() -> None:
    _a = ts.map(show, executor="processes")  # E: executor is not an Executor or a Dask client
    _b = ts.map(show, executor=None, chunk_size="10")  # E: chunk_size is an int


def bad_not_none() -> None:
    maybe: ts.Source[int | None] = ts.source([1, None])
    _a: ts.Source[str] = maybe | ts.not_none()  # E: not_none gives int, not str
    _b = maybe.not_none() | ts.map(length)  # E: length takes str, the elements are int


class Row:
    name = ""


def save_row(r: Row) -> None:
    pass


def row_name(r: Row) -> str:
    return r.name


async def keep_stages_check_their_function() -> None:
    """A type-keeping stage takes its element type from the chain, but its function must still accept it."""
    ints = ts.source(range(3))
    _a = ints | ts.tap(save_row)  # E: save_row does not take an int
    _b = ints | ts.filter(save_row) | ts.map(show)  # E: save_row does not take an int
    _c = ts.map(show) | ts.take_while(save_row)  # E: save_row does not take a str
    _d = ts.tap(save_row) | ts.map(show)  # E: the segment leads into ints, save_row takes a Row
    _e = ints | ts.distinct(row_name)  # E: row_name does not take an int
    _f = ints | ts.tap(print) | ts.map(length)  # E: print keeps int; length takes str
    _g: ts.Stream[int, int] = ts.tap(print)  # E: a KeepStage is not a Stream; name it with of=int
