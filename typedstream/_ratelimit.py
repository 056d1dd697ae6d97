"""``RateLimit``: a token bucket that stages take a token from before every call, shared by whoever holds it.

The bucket is kept as one number, the time its debt is paid off (GCRA, the "virtual scheduling" form of a token
bucket): a call may start once the calls before it have been paid for, less the burst allowance, and then adds
its own cost. So calls are spaced ``per / rate`` apart, not released in bursts when a window turns over, and no
lock is needed: a reservation is one synchronous step on the event loop.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Protocol

from ._validate import check_count, check_seconds, fail

__all__ = ["Clock", "LoopClock", "RateLimit"]


class Clock(Protocol):
    """Where a limiter reads the time and waits: the event loop's by default; tests pass a virtual one."""

    def time(self) -> float: ...

    async def sleep(self, seconds: float, /) -> object: ...


class LoopClock:
    """The running event loop's clock and ``asyncio.sleep``."""

    __slots__ = ()

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float, /) -> None:
        await asyncio.sleep(seconds)


class RateLimit:
    """At most ``rate`` calls per ``per`` seconds, spaced ``per / rate`` apart, for every stage given this
    limiter as ``rate_limit=`` (in one pipeline or in several running in one event loop), retries included.

    ``burst`` extra calls may go back to back after a quiet spell, so no window of ``per`` seconds holds more than
    ``rate + burst`` calls. A stage's ``rate_cost=f`` makes a call cost ``f(element)`` tokens instead of one (LLM
    tokens per minute, bytes per second): a call starts once the calls before it are paid for, then the calls after
    it wait for its cost. ``pause(seconds)`` holds back every call not yet started (a stage does it when a server
    says ``Retry-After``, through ``Retry(delay_from=)``).

    The limiter holds no task and no loop: it may be built anywhere and used by any number of runs in one event
    loop (it is not for several threads at once); kept for a later loop whose clock reads earlier, it starts
    afresh. ``clock`` (default: the running loop's) is for tests in virtual time.
    """

    __slots__ = ("rate", "per", "burst", "pause_on_retry_after", "_clock", "_interval", "_tolerance", "_paid_until", "_paused_until",
                 "_pauses", "_seen", "_given_up", "_starts", "calls", "waited")

    def __init__(
        self,
        rate: float,
        per: float = 1.0,
        burst: int | None = None,
        *,
        pause_on_retry_after: bool = True,
        clock: Clock | None = None,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)):  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(TypeError, "RateLimit", "rate", "a number of calls", rate)
        if not (math.isfinite(rate) and rate > 0):
            fail(ValueError, "RateLimit", "rate", "a finite number > 0", rate)
        per = check_seconds("RateLimit", "per", per, finite=True)
        burst = 0 if burst is None else check_count("RateLimit", "burst", burst, minimum=0)
        interval = per / rate
        if not (0 < interval < math.inf):
            raise ValueError(f"RateLimit: rate={rate!r} per={per!r} gives {interval!r} seconds between calls")
        if burst > 10**9:
            fail(ValueError, "RateLimit", "burst", "at most 10**9 calls", burst)
        if clock is not None and not (callable(getattr(clock, "time", None)) and callable(getattr(clock, "sleep", None))):
            fail(TypeError, "RateLimit", "clock", "an object with time() and async sleep(seconds)", clock)
        if not isinstance(pause_on_retry_after, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(TypeError, "RateLimit", "pause_on_retry_after", "a bool", pause_on_retry_after)
        self.rate: float = float(rate)
        """Calls (tokens) per ``per`` seconds."""
        self.pause_on_retry_after: bool = pause_on_retry_after
        self.per: float = per
        self.burst: int = burst
        self._clock: Clock = clock if clock is not None else LoopClock()
        self._interval = interval  # seconds one token takes to come back
        self._tolerance = burst * self._interval
        self._paid_until = -math.inf  # when the tokens taken so far are paid for
        self._paused_until = -math.inf
        self._pauses = 0  # bumped by pause(): a waiter that slept through one reserves again
        self._seen = -math.inf  # the latest time read: a clock that goes back is another loop's, so start afresh
        self._given_up: dict[float, float] = {}  # reservations not used (cancelled waiters): their end -> start
        # When the last calls of one token actually started: the window bound holds for them even when the loop
        # wakes a waiter late (a late call and an on-time one could otherwise share a window).
        self._starts: deque[float] = deque(maxlen=math.ceil(rate + burst))
        self.calls: int = 0
        """Calls let through so far."""
        self.waited: float = 0.0
        """Seconds callers have waited for a token so far, summed over callers."""

    def __repr__(self) -> str:
        burst = f", burst={self.burst}" if self.burst else ""
        return f"RateLimit({self.rate:g}, per={self.per:g}{burst})"

    async def acquire(self, cost: float = 1.0) -> float:
        """Wait until a call of ``cost`` tokens may start and take them; the seconds waited. A waiter that is
        cancelled gives its reservation back if no later one was made meanwhile (else it stays a gap)."""
        if isinstance(cost, bool) or not isinstance(cost, (int, float)):  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(TypeError, "RateLimit.acquire", "cost", "a number of tokens", cost)
        if not (math.isfinite(cost) and cost >= 0):
            fail(ValueError, "RateLimit.acquire", "cost", "a finite number >= 0", cost)
        clock = self._clock
        began = t = self._now()
        while True:
            start = max(t, self._paid_until - self._tolerance, self._paused_until)
            before = self._paid_until
            self._paid_until = end = max(start, before) + cost * self._interval
            pauses = self._pauses
            try:
                if start > t:
                    await clock.sleep(start - t)
                if cost == 1:
                    await self._after_the_window(clock)
            except BaseException:
                self._give_back(end, before)
                raise
            t = self._now()
            if self._pauses == pauses or t >= self._paused_until:
                break
            self._give_back(end, before)  # paused while waiting: reserve again, after the pause
        if cost == 1:
            self._starts.append(t)
        waited = t - began
        self.calls += 1
        self.waited += waited
        return waited

    async def _after_the_window(self, clock: Clock) -> None:
        starts = self._starts
        while len(starts) == starts.maxlen and (late := starts[0] + self.per - self._now()) > 0:
            await clock.sleep(late)

    def _give_back(self, end: float, start: float) -> None:
        """A reservation from ``start`` to ``end`` was not used: if it is the last one, the next call may have its
        time (and so may the ones given up before it, now last)."""
        given_up = self._given_up
        given_up[end] = start
        while self._paid_until in given_up:
            self._paid_until = given_up.pop(self._paid_until)
        if len(given_up) > 64:  # ends in the past no longer matter
            now = self._now()
            for e in [e for e in given_up if e <= now]:
                del given_up[e]

    def would_wait(self) -> bool:
        """Whether a call asked for now would have to wait."""
        now = self._now()
        return max(self._paid_until - self._tolerance, self._paused_until) > now

    def _now(self) -> float:
        t = self._clock.time()
        if t < self._seen:  # a limiter kept from one event loop to the next, whose clock starts elsewhere
            self._paid_until = self._paused_until = -math.inf
            self._given_up.clear()
            self._starts.clear()
        self._seen = t
        return t

    def pause(self, seconds: float) -> None:
        """Start no call for ``seconds`` from now (a later pause extends it; an earlier end never shortens it).
        Calls resume spaced, as after any quiet spell."""
        check_seconds("RateLimit.pause", "seconds", seconds, allow_zero=True, finite=True)
        until = self._now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._pauses += 1
