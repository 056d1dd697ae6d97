"""Retry policies: typed, introspectable values.

The scheduling is a few lines (a capped, jittered delay sequence), so it is kept here rather than delegated to
tenacity or stamina: the engine needs the delays as plain numbers it can sleep through an injectable clock (tests
run in virtual time, deterministic under a seed), and a run-time dependency would buy nothing else.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import cast

__all__ = ["Backoff", "Retry"]


def _seconds(owner: str, option: str, value: object, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: {option} must be a number of seconds, got {value!r}")
    if value != value or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{owner}: {option} must be {'>=' if allow_zero else '>'} 0, got {value!r}")
    return float(value)


def _fraction(owner: str, option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: {option} must be a number between 0 and 1, got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"{owner}: {option} must be between 0 and 1, got {value!r}")
    return float(value)


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
        _seconds("Backoff", "initial", self.initial)
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"Backoff: factor must be a number, got {self.factor!r}")
        if self.factor < 1:
            raise ValueError(f"Backoff: factor must be >= 1, got {self.factor!r}")
        _seconds("Backoff", "max", self.max)
        if self.max < self.initial:
            raise ValueError(f"Backoff: max ({self.max}) must be >= initial ({self.initial})")
        _fraction("Backoff", "jitter", self.jitter)

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


def _check_retry_on(value: object) -> None:
    if not isinstance(value, tuple) or not value:
        raise TypeError(f"Retry: retry_on must be a non-empty tuple of exception classes, got {value!r}")
    for cls in cast("tuple[object, ...]", value):
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            raise TypeError(
                f"Retry: retry_on must hold Exception subclasses (cancellation is never retried), got {cls!r}"
            )


@dataclass(frozen=True, slots=True)
class Retry:
    """Per-element retry: at most ``attempts`` calls, waiting ``backoff`` between them, for exceptions that are
    instances of ``retry_on``. Cancellation is never retried (``asyncio.CancelledError`` is not an
    ``Exception``, and ``retry_on`` only admits ``Exception`` subclasses).

    ``sleep`` is how the engine waits (``asyncio.sleep``; tests pass a virtual clock's ``sleep``), and ``seed``
    makes the jitter of every run repeat exactly.
    """

    attempts: int
    backoff: Backoff = field(default_factory=Backoff.exponential)
    retry_on: tuple[type[Exception], ...] = (Exception,)
    sleep: Callable[[float], Awaitable[object]] = field(default=asyncio.sleep, repr=False, compare=False)
    seed: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"Retry: attempts must be an int, got {self.attempts!r}")
        if self.attempts < 1:
            raise ValueError(f"Retry: attempts must be >= 1 (1 means no retry), got {self.attempts}")
        if not isinstance(self.backoff, Backoff):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"Retry: backoff must be a Backoff, got {self.backoff!r}")
        _check_retry_on(self.retry_on)
        if not callable(self.sleep):
            raise TypeError(f"Retry: sleep must be an async callable taking seconds, got {self.sleep!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"Retry: seed must be an int or None, got {self.seed!r}")

    def rng(self) -> random.Random:
        """A fresh jitter source for one stage in one run: seeded when ``seed`` is set."""
        return random.Random(self.seed)

    def retries(self, exc: BaseException) -> bool:
        """Whether ``exc`` may be retried."""
        return isinstance(exc, self.retry_on)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The waits between the ``attempts`` calls (``attempts - 1`` of them)."""
        for n in range(1, self.attempts):
            yield self.backoff.delay(n, rng)
