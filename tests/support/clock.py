"""A virtual clock for retry tests: ``sleep`` records the delay and advances time without waiting."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from typing_extensions import override

T = TypeVar("T")


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

    def time(self) -> float:
        """``now``, so the clock can be a ``RateLimit(clock=...)`` too."""
        return self.now


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose time jumps to the next timer whenever nothing is ready to run: ``asyncio.sleep``,
    ``asyncio.timeout`` and ``loop.time()`` run in virtual time, so minutes of waits take milliseconds and every
    timing is exact. For code that does no real I/O (a socket would wait in real time while time jumps)."""

    def __init__(self) -> None:
        super().__init__()
        self._virtual = 0.0

    @override
    def time(self) -> float:
        return self._virtual

    def _run_once(self) -> None:
        ready: Any = getattr(self, "_ready")
        scheduled: list[asyncio.TimerHandle] = getattr(self, "_scheduled")
        while scheduled and scheduled[0].cancelled():  # a cancelled timer must not move time
            heapq.heappop(scheduled)
            setattr(self, "_timer_cancelled_count", max(0, getattr(self, "_timer_cancelled_count") - 1))
        if not ready and scheduled:
            self._virtual = max(self._virtual, scheduled[0].when())
        getattr(super(), "_run_once")()


def run_virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``main()`` to completion on a fresh ``VirtualTimeLoop``, closed after (async generators included)."""
    loop = VirtualTimeLoop()
    try:
        result = loop.run_until_complete(main())
        loop.run_until_complete(loop.shutdown_asyncgens())
        return result
    finally:
        loop.close()
