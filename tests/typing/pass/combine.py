"""Combining sources: merge, concat and zip, as free functions and as methods on Source and Stream."""

from __future__ import annotations

from typing import assert_type

from .elements import Row, numbers, parse, show

import typedstream as ts


async def merge_concat() -> None:
    ints = ts.source(range(3))
    more = ts.source(numbers())
    strs = ts.source(["a", "b"])
    # free forms: sources of one element type
    assert_type(ts.merge(ints, more), ts.Source[int])
    assert_type(ts.merge(ints, more, ints | ts.take(1)), ts.Source[int])
    assert_type(ts.merge(ints), ts.Source[int])
    assert_type(ts.concat(ints, more), ts.Source[int])
    assert_type(ts.concat(strs, strs, strs), ts.Source[str])
    assert_type(ts.merge(ints, more) | ts.map(show), ts.Source[str])
    # method forms: the element type is the union
    assert_type(ints.merge(more), ts.Source[int])
    assert_type(ints.merge(strs), ts.Source[int | str])
    assert_type(ints.concat(strs), ts.Source[int | str])
    assert_type(ints.merge(strs, strs), ts.Source[int | str])
    assert_type(ints.concat(more, more), ts.Source[int])
    assert_type(ints.merge(strs).map(lambda v: str(v)), ts.Source[str])
    # on a Stream: the stream's output merged with other sources
    assert_type(ts.map(parse).merge(ts.source([Row(0, "z")])), ts.Stream[str, Row])
    assert_type(ts.map(show).merge(ints), ts.Stream[int, str | int])
    assert_type(ts.map(show).concat(ints), ts.Stream[int, str | int])
    assert_type(strs | ts.map(parse).concat(ts.source([Row(0, "z")])), ts.Source[Row])


async def zip_() -> None:
    ints = ts.source(range(3))
    strs = ts.source(["a", "b"])
    rows = ts.source([Row(1, "a")])
    assert_type(ts.zip(ints, strs), ts.Source[tuple[int, str]])
    assert_type(ts.zip(ints, strs, rows), ts.Source[tuple[int, str, Row]])
    assert_type(ts.zip(ints, strs, rows, ints), ts.Source[tuple[int, str, Row, int]])
    assert_type(ints.zip(strs), ts.Source[tuple[int, str]])
    assert_type(ints.zip(strs, rows), ts.Source[tuple[int, str, Row]])
    assert_type(ts.map(show).zip(ints), ts.Stream[int, tuple[str, int]])
    assert_type(ts.map(show).zip(ints, rows), ts.Stream[int, tuple[str, int, Row]])
    # the tuples unpack with precise types
    pairs = ts.zip(ints, strs).map(lambda p: f"{p[0]}:{p[1].upper()}")
    assert_type(pairs, ts.Source[str])
    async for n, s in ts.zip(ints, strs):
        assert_type(n, int)
        assert_type(s, str)
    n2, s2 = await ts.zip(ints, strs).into(ts.first())
    assert_type(n2, int)
    assert_type(s2, str)


async def mixed_types_in_free_merge_and_concat() -> None:
    ints = ts.source([1, 2])
    strs = ts.source(["a"])
    assert_type(ts.merge(ints, strs), ts.Source[int | str])
    assert_type(ts.concat(ints, strs, ints), ts.Source[int | str])


async def zip_arity() -> None:
    i, s, f = ts.source([1]), ts.source(["a"]), ts.source([1.5])
    assert_type(ts.zip(i, s, f, i, s), ts.Source[tuple[int, str, float, int, str]])
    assert_type(ts.zip(i, s, f, i, s, f), ts.Source[tuple[int, str, float, int, str, float]])
    assert_type(ts.zip(i, s, f, i, s, f, i), ts.Source[tuple[object, ...]])  # beyond six: no error, objects
    assert_type(i.zip(s, f, i), ts.Source[tuple[int, str, float, int]])
    assert_type(i.zip(s, f, i, s, f), ts.Source[tuple[int, str, float, int, str, float]])
    assert_type(i.zip(s, f, i, s, f, i), ts.Source[tuple[object, ...]])
    assert_type(ts.map(show).zip(s, f, i), ts.Stream[int, tuple[str, str, float, int]])


async def merge_concat_unions() -> None:
    i, s, f = ts.source([1]), ts.source(["a"]), ts.source([1.5])
    assert_type(i.merge(s, f), ts.Source[int | str | float])
    assert_type(i.concat(s, f, i), ts.Source[int | str | float])
    assert_type(i.merge(s, f, i, s, f), ts.Source[int | str | float])
    assert_type(ts.map(show).concat(i, f), ts.Stream[int, str | int | float])
