"""merge / concat / zip misuse: non-Source operands, wrongly typed results."""

from __future__ import annotations

import typedstream as ts


def show(x: int) -> str:
    return str(x)


async def non_sources() -> None:
    ints = ts.source(range(3))
    _a = ts.merge(ints, [1, 2])  # E: a list is not a Source
    _b = ints.merge([1, 2])  # E: a list is not a Source
    _c = ts.merge(ints, ts.map(show))  # E: a Stream is not a Source
    _d = ints.concat(range(3))  # E: a range is not a Source
    _e = ts.concat(ints, range(3))  # E: a range is not a Source
    _f = ts.zip(ints, [1, 2])  # E: a list is not a Source
    _g = ints.zip(ts.map(show))  # E: a Stream is not a Source
    _h = ts.merge([1, 2], [3])  # E: lists are not Sources
    _i = ts.map(show).merge(ts.map(show))  # E: a Stream is not a Source


async def wrong_results() -> None:
    ints = ts.source(range(3))
    strs = ts.source(["a"])
    _a: ts.Source[tuple[str, int]] = ts.zip(ints, strs)  # E: zip gives tuple[int, str]
    _b: ts.Source[tuple[int, str]] = ts.zip(ints, strs, ints)  # E: zip of three gives a triple
    _c: ts.Source[tuple[int, int]] = ints.zip(strs)  # E: zip gives tuple[int, str]
    _d: ts.Source[int] = ints.merge(strs)  # E: merge gives int | str
    _e: ts.Source[str] = ints.concat(strs)  # E: concat gives int | str
    async for n, s in ts.zip(ints, strs):
        _f: str = n  # E: n is int
        _g: int = s  # E: s is str
    _h: ts.Source[int] = ts.merge(ints, strs)  # E: merge of int and str is not Source[int]
