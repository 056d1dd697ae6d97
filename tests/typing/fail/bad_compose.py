"""Composition mistakes: mismatched adjacent stages, also behind take and batch; non-pipeline operands."""

from __future__ import annotations

import typedstream as ts


def show(x: int) -> str:
    return str(x)


def double(x: int) -> int:
    return x * 2


def length(s: str) -> int:
    return len(s)


def total(xs: list[int]) -> int:
    return sum(xs)


async def source_then_stream() -> None:
    ints = ts.source(range(3))
    _a = ints | ts.map(length)  # E: Source[int] | Stream[str, int]
    _b = ints | ts.map(show) | ts.map(double)  # E: Source[str] | Stream[int, int]
    _c = ts.source(["a"]) | ts.map(double)  # E: Source[str] | Stream[int, int]
    _d = ints | ts.map(lambda s: s.upper(), of=str)  # E: of=str stage after ints
    _e = ints | ts.map(total)  # E: Source[int] | Stream[list[int], int]


async def stream_then_stream() -> None:
    _a = ts.map(show) | ts.map(double)  # E: Stream[int, str] | Stream[int, int]
    _b = ts.map(double) | ts.map(show) | ts.map(show)  # E: Stream[int, str] | Stream[int, str]
    _c = ts.map(show) | (ts.map(double) | ts.map(show))  # E: Stream[int, str] | Stream[int, str]
    _d = ts.map(length) | ts.map(length)  # E: Stream[str, int] | Stream[str, int]


async def hidden_behind_take() -> None:
    ints = ts.source(range(3))
    _a = ints | ts.take(2) | ts.map(length)  # E: take keeps int; the next stage wants str
    _b = ints | ts.skip(1) | ts.buffer(4) | ts.map(length)  # E: skip/buffer keep int
    _c = ts.map(show) | ts.take(2) | ts.map(double)  # E: Stream[int, str] | take | Stream[int, int]
    _d = ints | ts.distinct() | ts.map(length)  # E: distinct keeps int
    _e = ints | (ts.take(2) | ts.map(length))  # E: take(2) | Stream[str, int] is a Stream[str, int]


async def hidden_behind_batch() -> None:
    ints = ts.source(range(3))
    _a = ints | ts.batch(2) | ts.map(double)  # E: batch gives list[int]; the stage wants int
    _b = ints | ts.batch_within(2, 0.1) | ts.map(show)  # E: batch_within gives list[int]
    _c = ts.map(show) | ts.batch(2) | ts.map(total)  # E: list[str] into a list[int] stage
    _d = ts.batch(2) | ts.map(double)  # E: batch | Stream[int, int] needs a Stream over lists
    _e = ints | ts.batch(2) | ts.flatten() | ts.map(length)  # E: flatten gives int back


async def not_a_pipeline() -> None:
    _a = [1, 2, 3] | ts.map(show)  # E: no __ror__ for plain iterables: use ts.source(xs)
    _b = ts.source(range(3)) | ts.source(range(3))  # E: Source | Source
    _c = ts.map(show) | ts.source(["a"])  # E: Stream | Source
    _d = ts.source(range(3)) | show  # E: a bare function is not a stage
