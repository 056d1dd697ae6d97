"""``Sink[In, R]``, a terminal that consumes ``In`` elements and produces one ``R``, and the standard sinks:
to_list, count, first, fold, for_each."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Generic, TypeVar, overload

__all__ = ["EmptyStreamError", "Sink", "count", "first", "fold", "for_each", "to_list"]

A = TypeVar("A")
S = TypeVar("S")
T = TypeVar("T")
In = TypeVar("In", contravariant=True)
R = TypeVar("R", covariant=True)


class Sink(Generic[In, R]):
    """Consumes the chunks of a run (``AsyncIterator[list[In]]``) and returns one value.

    A sink may stop early (``first()``); the run then closes everything upstream.
    """

    __slots__ = ("_consume", "name")

    def __init__(self, consume: Callable[[AsyncIterator[list[In]]], Coroutine[Any, Any, R]], *, name: str) -> None:
        self._consume = consume
        self.name = name

    async def consume(self, chunks: AsyncIterator[list[In]]) -> R:
        return await self._consume(chunks)

    def __repr__(self) -> str:
        return f"Sink({self.name})"


class EmptyStreamError(ValueError):
    """``first()`` ran on a stream that produced no element."""


def to_list() -> Sink[T, list[T]]:
    """Every element, in order."""

    async def consume(chunks: AsyncIterator[list[T]]) -> list[T]:
        out: list[T] = []
        async for chunk in chunks:
            out.extend(chunk)
        return out

    return Sink(consume, name="to_list")


def count() -> Sink[object, int]:
    """The number of elements."""

    async def consume(chunks: AsyncIterator[list[object]]) -> int:
        n = 0
        async for chunk in chunks:
            n += len(chunk)
        return n

    return Sink(consume, name="count")


def first() -> Sink[T, T]:
    """The first element; the rest of the pipeline is closed at once. Raises ``EmptyStreamError`` if none."""

    async def consume(chunks: AsyncIterator[list[T]]) -> T:
        async for chunk in chunks:
            return chunk[0]
        raise EmptyStreamError("first(): the stream produced no element")

    return Sink(consume, name="first")


def fold(init: S, f: Callable[[S, A], S]) -> Sink[A, S]:
    """``f(f(f(init, x0), x1), ...)``; ``init`` for an empty stream."""

    async def consume(chunks: AsyncIterator[list[A]]) -> S:
        acc = init
        async for chunk in chunks:
            for x in chunk:
                acc = f(acc, x)
        return acc

    return Sink(consume, name="fold")


@overload
def for_each(f: Callable[[A], Coroutine[Any, Any, object]], *, of: type[A] | None = None) -> Sink[A, None]: ...
@overload
def for_each(f: Callable[[A], object], *, of: type[A] | None = None) -> Sink[A, None]: ...
def for_each(f: Callable[[A], object], *, of: type[A] | None = None) -> Sink[A, None]:
    """Call ``f`` (sync or async) on each element, in order."""

    async def consume(chunks: AsyncIterator[list[A]]) -> None:
        async for chunk in chunks:
            for x in chunk:
                r = f(x)
                if inspect.isawaitable(r):
                    await r

    return Sink(consume, name="for_each")
