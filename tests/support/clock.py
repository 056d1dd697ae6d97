"""A virtual clock for retry tests: ``sleep`` records the delay and advances time without waiting."""

from __future__ import annotations

import asyncio


class VirtualClock:
    """Pass ``clock.sleep`` as ``Retry(sleep=...)``. Each sleep records its delay, advances ``now`` and yields
    to the event loop once, so other tasks still interleave as they would around a real sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
