"""Dropping None: not_none() types the elements without None, as a free function and as a method."""

from __future__ import annotations

from typing import assert_type

import typedstream as ts

from .elements import Row, parse_or_none, show


def not_none() -> None:
    maybe_ints: ts.Source[int | None] = ts.source([1, None, 2])
    assert_type(maybe_ints | ts.not_none(), ts.Source[int])
    assert_type(maybe_ints.not_none(), ts.Source[int])
    assert_type(maybe_ints | ts.not_none() | ts.map(show), ts.Source[str])
    assert_type(ts.source(["a,1"]) | ts.map(parse_or_none) | ts.not_none(), ts.Source[Row])
    assert_type(ts.map(parse_or_none) | ts.not_none(), ts.Stream[str, Row])
    assert_type(ts.map(parse_or_none).not_none(), ts.Stream[str, Row])
    # a lambda predicate never narrows: the element type keeps None
    assert_type(maybe_ints.filter(lambda x: x is not None), ts.Source[int | None])
