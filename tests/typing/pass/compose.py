"""Composition with ``|``: Source | Stream -> Source, Stream | Stream -> Stream, stage objects on either side."""

from __future__ import annotations

import dataclasses
from typing import assert_type

from .elements import Row, digits, double, enrich, is_row, length, numbers, parse, parse_or_none, rescore, show, total

import typedstream as ts


async def sources() -> None:
    assert_type(ts.source([1, 2, 3]), ts.Source[int])
    assert_type(ts.source(range(3)), ts.Source[int])
    assert_type(ts.source(["a", "b"]), ts.Source[str])
    assert_type(ts.source({"a": 1}), ts.Source[str])  # any Iterable: a dict gives its keys
    assert_type(ts.source(numbers()), ts.Source[int])  # an async iterable
    assert_type(ts.source(numbers(), chunk_size=8), ts.Source[int])
    assert_type(ts.source([Row(1, "a")]), ts.Source[Row])


async def source_then_stream() -> None:
    src = ts.source(range(10))
    assert_type(src | ts.map(double), ts.Source[int])
    assert_type(src | ts.map(show), ts.Source[str])
    assert_type(src | ts.map(show) | ts.map(length), ts.Source[int])
    assert_type(src | ts.map(double) | ts.map(show) | ts.map(length) | ts.map(digits), ts.Source[list[int]])
    # the stored pipeline keeps its type; a Source is covariant in its element type
    wide: ts.Source[object] = src | ts.map(show)
    assert_type(wide | ts.map(repr), ts.Source[str])


async def stream_then_stream() -> None:
    a = ts.map(double)
    b = ts.map(show)
    c = ts.map(length)
    assert_type(a, ts.Stream[int, int])
    assert_type(a | b, ts.Stream[int, str])
    assert_type(a | b | c, ts.Stream[int, int])
    # associativity: (a | b) | c and a | (b | c) have the same type
    assert_type((a | b) | c, ts.Stream[int, int])
    assert_type(a | (b | c), ts.Stream[int, int])
    assert_type(ts.source(range(3)) | (a | b | c), ts.Source[int])
    assert_type((ts.source(range(3)) | a) | (b | c), ts.Source[int])


async def reusable_stage() -> None:
    to_rows = ts.map(parse) | ts.map(rescore)
    assert_type(to_rows, ts.Stream[str, Row])
    first = ts.source(["1,a"]) | to_rows
    second = ts.source(["2,b", "3,c"]) | to_rows | ts.map(enrich)
    assert_type(first, ts.Source[Row])
    assert_type(second, ts.Source[Row])


async def records_evolve() -> None:
    rows = (
        ts.source(["1,ada", "x", "2,bob"])
        | ts.map(parse_or_none)
        | ts.filter(is_row)
        | ts.map(lambda r: dataclasses.replace(r, score=r.score * 2), of=Row)
    )
    assert_type(rows, ts.Source[Row])
    names = rows.map(lambda r: r.name)
    assert_type(names, ts.Source[str])
    assert_type(rows.map(lambda r: dataclasses.replace(r, name=r.name.upper())), ts.Source[Row])


async def stage_objects_compose() -> None:
    # a type-preserving stage in front of a Stream takes its element type from the Stream
    assert_type(ts.take(5) | ts.map(show), ts.Stream[int, str])
    assert_type(ts.skip(1) | ts.map(double) | ts.map(show), ts.Stream[int, str])
    assert_type(ts.buffer(4) | ts.map(parse), ts.Stream[str, Row])
    assert_type(ts.distinct() | ts.map(length), ts.Stream[str, int])
    # a batching stage in front of a Stream over lists
    assert_type(ts.batch(3) | ts.map(total), ts.Stream[int, int])
    assert_type(ts.batch_within(3, 0.5) | ts.map(total), ts.Stream[int, int])
    # and either after a Stream
    assert_type(ts.map(show) | ts.take(5), ts.Stream[int, str])
    assert_type(ts.map(show) | ts.batch(2), ts.Stream[int, list[str]])
    assert_type(ts.map(digits) | ts.flatten(), ts.Stream[int, int])
    # a composed Stream built from stage objects runs behind a Source
    stage = ts.take(5) | ts.map(show)
    assert_type(ts.source(range(10)) | stage, ts.Source[str])
    assert_type(ts.source(range(10)) | (ts.batch(2) | ts.map(total)), ts.Source[int])


async def stage_objects_compose_with_each_other() -> None:
    """(a | b) | c == a | (b | c) also when b and c are stage objects."""
    left = (ts.map(show) | ts.take(5)) | ts.batch(2)
    right = ts.map(show) | (ts.take(5) | ts.batch(2))
    assert_type(left, ts.Stream[int, list[str]])
    assert_type(right, ts.Stream[int, list[str]])
    regrouped = ts.source(range(7)) | (ts.batch(3) | ts.take(2) | ts.flatten())
    assert_type(regrouped, ts.Source[int])
    flat_then_map = ts.source([[1, 2], [3]]) | (ts.flatten() | ts.map(show))
    assert_type(flat_then_map, ts.Source[str])
    deduped = ts.source([3, 1, 3]) | (ts.distinct() | ts.take(2))
    assert_type(ts.distinct() | ts.take(2), ts.DistinctStage)
    assert_type(deduped, ts.Source[int])
    assert_type(ts.flatten() | ts.take(1), ts.FlattenStage)
    assert_type(ts.batch(2) | ts.flatten(), ts.SameStage)
    assert_type(ts.take(2) | ts.batch(2), ts.BatchStage)
    assert_type(ts.source([[1, 2]]) | (ts.flatten() | ts.take(1)), ts.Source[int])


async def options_and_policies() -> None:
    """Element options can be kept in a typed dict and spread; retry policies are plain typed values."""
    options: ts.ElementOptions[int] = {"concurrency": 4, "ordered": False}
    assert_type(ts.source([1, 2]).map(show, **options), ts.Source[str])
    policy = ts.Retry(3, backoff=ts.Backoff.exponential(initial=0.05, max=1.0), retry_on=(ConnectionError,))
    assert_type(policy, ts.Retry)
    assert_type(policy.backoff, ts.Backoff)
    assert_type(list(policy.delays()), list[float])
