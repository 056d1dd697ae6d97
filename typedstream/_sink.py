"""``Sink[In, R]``: a terminal that consumes ``In`` elements and produces one ``R``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["Sink"]

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
