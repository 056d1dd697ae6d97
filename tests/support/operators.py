"""What the operator tests (tests/operators/) share: the instrumented sources of ``tests.support.sources``
labelled ``"closed"`` when they close, and a plain async iterator over a list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from tests.support import sources


async def aiterate(xs: list[int], delay: float = 0.0) -> AsyncIterator[int]:
    for x in xs:
        await asyncio.sleep(delay)
        yield x


def counting(pulled: list[int], n: int | None = None, events: list[str] | None = None) -> Iterator[int]:
    return sources.counting(pulled, n, events=events, label="closed")


def acounting(pulled: list[int], events: list[str] | None = None, delay: float = 0.0) -> AsyncIterator[int]:
    return sources.acounting(pulled, events=events, delay=delay, label="closed")
