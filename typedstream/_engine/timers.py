"""Waiting with a deadline of one's own: an upstream ``TimeoutError`` is an error to pass on, never the timer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["Expired", "before"]

T = TypeVar("T")


class Expired:
    """The deadline passed before the awaited value came (the awaitable was cancelled)."""

    __slots__ = ()


EXPIRED = Expired()


async def before(deadline: float, awaitable: Awaitable[T]) -> T | Expired:
    """``await awaitable``, or ``EXPIRED`` once the loop's clock reaches ``deadline``. A ``TimeoutError`` raised by
    the awaitable itself (a user function's, or an upstream ``timeout()`` stage's) propagates unchanged."""
    timer = asyncio.timeout_at(deadline)
    try:
        async with timer:
            return await awaitable
    except TimeoutError:
        if timer.expired():
            return EXPIRED
        raise
