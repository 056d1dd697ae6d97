"""What the engine's rule tests share about calls: ``InFlight`` counts an async function's calls in flight and
records which were cancelled, ``until`` waits for a condition, and ``inc`` is an async stage that returns at once
(an ``async def`` with no ``await``; the sync ``inc`` of the report tests is ``tests.support.functions.inc``)."""

from __future__ import annotations

import asyncio
from typing import Any


class InFlight:
    """Counts concurrent calls of an async function."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.started: list[int] = []
        self.cancelled: list[int] = []
        self.finished: list[int] = []

    async def call(self, x: int, delay: float) -> int:
        self.started.append(x)
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(delay)
        except asyncio.CancelledError:
            self.cancelled.append(x)
            raise
        finally:
            self.now -= 1
        self.finished.append(x)
        return x


async def until(cond: Any, timeout: float = 2.0) -> None:
    """Wait (polling the loop) until ``cond()`` is true."""
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.001)


async def inc(x: int) -> int:
    return x + 1
