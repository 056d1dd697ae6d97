"""Retry policies: typed, introspectable values.

The scheduling is a few lines (a capped, jittered delay sequence), so it is kept here rather than delegated to
tenacity or stamina: the engine needs the delays as plain numbers it can sleep through an injectable clock (tests
run in virtual time, deterministic under a seed), and a run-time dependency would buy nothing else.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from ._validate import check_callable, check_count, check_exceptions, check_fraction, check_seconds, fail

__all__ = ["Backoff", "Retry", "RetryEvent"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before retry number n (n = 1, 2, ...).

    The base delay is ``initial * factor ** (n - 1)``, capped at ``max``; ``jitter`` (0 to 1) then draws the
    actual delay uniformly from ``[base * (1 - jitter), base]``, so delays never exceed the cap and concurrent
    retries spread out.
    """

    initial: float
    factor: float = 1.0
    max: float = float("inf")
    jitter: float = 0.0

    def __post_init__(self) -> None:
        check_seconds("Backoff", "initial", self.initial, allow_zero=True)
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)):  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(TypeError, "Backoff", "factor", "a number", self.factor)
        if self.factor < 1:
            fail(ValueError, "Backoff", "factor", ">= 1", self.factor)
        check_seconds("Backoff", "max", self.max, allow_zero=True)
        if self.max < self.initial:
            fail(ValueError, "Backoff", "max", f">= initial ({self.initial})", self.max)
        check_fraction("Backoff", "jitter", self.jitter)

    @classmethod
    def exponential(
        cls, initial: float = 0.1, factor: float = 2.0, max: float = 10.0, jitter: float = 0.5
    ) -> Backoff:
        """``initial``, ``initial * factor``, ... capped at ``max``, each reduced by up to ``jitter``."""
        return cls(initial, factor, max, jitter)

    @classmethod
    def constant(cls, seconds: float, jitter: float = 0.0) -> Backoff:
        """The same delay before every retry."""
        return cls(seconds, 1.0, seconds, jitter)

    @classmethod
    def none(cls) -> Backoff:
        """Retry at once."""
        return cls(0.0)

    def base(self, retry: int) -> float:
        """The delay before retry number ``retry`` (1-based), before jitter."""
        if retry < 1:
            raise ValueError(f"Backoff.base: retry numbers start at 1, got {retry}")
        delay = self.initial * self.factor ** (retry - 1) if self.factor != 1 else self.initial
        return min(delay, self.max)

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """The jittered delay before retry number ``retry``."""
        base = self.base(retry)
        if self.jitter == 0 or base == 0:
            return base
        u = (rng or random).random()
        return base * (1 - self.jitter * u)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """What ``Retry(on_retry=...)`` is told before each wait: one element is about to be tried again."""

    stage: str
    """The stage's name, as in its errors and report."""
    element: object
    """The element whose call failed."""
    attempt: int
    """The attempt that just failed (1 for the first call)."""
    exception: Exception
    """What that attempt raised."""
    delay: float
    """Seconds the element waits before its next attempt (from ``delay_from``, else the backoff)."""
    elapsed: float
    """Seconds since the element's first attempt started, its waits included (what ``deadline`` bounds)."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Per-element retry: at most ``attempts`` calls, waiting ``backoff`` between them, for exceptions that are
    instances of ``retry_on``. Cancellation is never retried (``asyncio.CancelledError`` is not an
    ``Exception``, and ``retry_on`` only admits ``Exception`` subclasses).

    ``sleep`` is how the engine waits (``asyncio.sleep``; tests pass a virtual clock's ``sleep``), and ``seed``
    makes the jitter of every run repeat exactly.

    For services: ``delay_from(exc)`` gives the seconds to wait before the next attempt (a ``Retry-After``), or
    ``None`` for the backoff's delay; on a stage with ``rate_limit=``, such a delay also pauses every stage on that
    limiter. ``deadline`` bounds the seconds one element may take over its attempts and waits, from its first
    call: when the next wait would pass it, the element gives up at once (its last exception surfaces, is skipped or caught, as the
    stage says). ``on_retry(event)`` is called before each wait with a ``RetryEvent`` (for logs and metrics).
    """

    attempts: int
    backoff: Backoff = field(default_factory=Backoff.exponential)
    retry_on: tuple[type[Exception], ...] = (Exception,)
    sleep: Callable[[float], Awaitable[object]] = field(default=asyncio.sleep, repr=False, compare=False)
    seed: int | None = None
    delay_from: Callable[[Exception], float | None] | None = field(default=None, kw_only=True, compare=False)
    deadline: float | None = field(default=None, kw_only=True)
    on_retry: Callable[[RetryEvent], object] | None = field(default=None, kw_only=True, compare=False)

    def __post_init__(self) -> None:
        check_count("Retry", "attempts", self.attempts, minimum=1)  # 1 means no retry
        if not isinstance(self.backoff, Backoff):  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(TypeError, "Retry", "backoff", "a Backoff", self.backoff)
        check_exceptions("Retry", "retry_on", self.retry_on, never="retried", tuple_only=True)
        check_callable("Retry", "sleep", self.sleep)
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(TypeError, "Retry", "seed", "an int or None", self.seed)
        if self.delay_from is not None:
            check_callable("Retry", "delay_from", self.delay_from)
        if self.deadline is not None:
            check_seconds("Retry", "deadline", self.deadline, finite=True)
        if self.on_retry is not None:
            check_callable("Retry", "on_retry", self.on_retry)

    def rng(self) -> random.Random:
        """A fresh jitter source for one stage in one run: seeded when ``seed`` is set."""
        return random.Random(self.seed)

    def retries(self, exc: BaseException) -> bool:
        """Whether ``exc`` may be retried."""
        return isinstance(exc, self.retry_on)

    def delay_after(self, exc: Exception) -> float | None:
        """The wait ``delay_from`` gives for ``exc`` (checked), or ``None``: then the backoff's delay applies."""
        if self.delay_from is None:
            return None
        given = self.delay_from(exc)
        if given is None:
            return None
        if isinstance(given, bool) or not isinstance(given, (int, float)) or not math.isfinite(given) or given < 0:  # pyright: ignore[reportUnnecessaryIsInstance]
            fail(ValueError, "Retry", "delay_from(exception)", "None or a finite number of seconds >= 0", given)
        return float(given)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The waits between the ``attempts`` calls (``attempts - 1`` of them)."""
        for n in range(1, self.attempts):
            yield self.backoff.delay(n, rng)
