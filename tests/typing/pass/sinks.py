"""Sinks: ``src.into(to_list() / count() / first() / fold(...) / for_each(...))`` and the sink types."""

from __future__ import annotations

import asyncio
from typing import assert_type

from .elements import Row, parse, show

import typedstream as ts


def add(acc: int, x: int) -> int:
    return acc + x


def keep_best(acc: Row | None, r: Row) -> Row | None:
    return r if acc is None or r.score > acc.score else acc


async def save(r: Row) -> None:
    await asyncio.sleep(0)


async def sink_types() -> None:
    assert_type(ts.fold(0, add), ts.Sink[int, int])
    assert_type(ts.for_each(save), ts.Sink[Row, None])
    assert_type(ts.for_each(lambda x: print(x + 1), of=int), ts.Sink[int, None])
    assert_type(ts.count(), ts.Sink[object, int])
    # Sinks are contravariant in what they consume
    any_sink: ts.Sink[object, None] = ts.for_each(print)
    int_sink: ts.Sink[int, None] = any_sink
    assert_type(await ts.source(range(3)).into(int_sink), None)


async def into() -> None:
    ints = ts.source(range(10))
    rows = ts.source(["1,a", "2,b"]) | ts.map(parse)
    assert_type(await ints.into(ts.to_list()), list[int])
    assert_type(await rows.into(ts.to_list()), list[Row])
    assert_type(await ints.into(ts.count()), int)
    assert_type(await rows.into(ts.count()), int)
    assert_type(await ints.into(ts.first()), int)
    assert_type(await rows.into(ts.first()), Row)
    assert_type(await (ints | ts.map(show)).into(ts.first()), str)
    # fold: typed function, lambda with the element type solved from the source
    assert_type(await ints.into(ts.fold(0, add)), int)
    assert_type(await ints.into(ts.fold(0, lambda acc, x: acc + x)), int)
    assert_type(await ints.into(ts.fold("", lambda acc, x: acc + str(x))), str)
    assert_type(await rows.into(ts.fold(0.0, lambda acc, r: acc + r.score)), float)
    best: Row | None = None
    assert_type(await rows.into(ts.fold(best, keep_best)), Row | None)
    # for_each: sync or async function, a lambda, a wider function
    assert_type(await rows.into(ts.for_each(save)), None)
    assert_type(await rows.into(ts.for_each(lambda r: print(r.name))), None)
    assert_type(await rows.into(ts.for_each(lambda r: save(r))), None)
    assert_type(await ints.into(ts.for_each(print)), None)
    # sinks after stage objects and batches
    assert_type(await (ints | ts.batch(3)).into(ts.first()), list[int])
    assert_type(await (ints | ts.take(2)).into(ts.fold(0, add)), int)
