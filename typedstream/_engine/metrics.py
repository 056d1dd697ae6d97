"""The boundaries between stages, and what the engine records while a run is pulled: counts and waits at each
boundary, per-call latencies. Both are updated per chunk (a boundary) or per call (an element stage), never per
element in a fused loop. A boundary is also where a run that never suspends gives the event loop its turn.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

__all__ = ["TURN_EVERY", "Checkpoints", "Counted", "Histogram", "Inlet", "Waits", "now"]

now = time.perf_counter

TURN_EVERY = 0.002
"""Seconds of work after which a run gives the loop a turn at its next boundary, whether or not it suspended,
and delivers again a cancellation that user code swallowed."""

SUB_BUCKETS = 32  # per power of two: a bucket is at most 1/32 (3.1 %) wider than its lower edge


class Waits:
    """Time a stage (or a fused segment of stages, which share one) spent blocked at its boundaries."""

    __slots__ = ("upstream", "downstream", "serving", "received")

    def __init__(self) -> None:
        self.upstream = 0.0  # waiting for the next chunk from upstream
        self.downstream = 0.0  # holding a chunk it produced until downstream asked for the next one
        self.serving = 0.0  # downstream waiting for this one: for a source, the time spent producing
        self.received = 0  # elements that arrived through its inlets (the run's output, for the consumer's)


class Checkpoints:
    """What a run's boundaries check besides counting and timing.

    - When the run last gave the event loop a turn: stages that never suspend (a sync source, fused sync stages)
      would otherwise hold the loop for the whole run, and no timeout, cancellation, progress or other task
      could run.
    - Whether the task pulling was cancelled while user code swallowed the ``CancelledError``: the run's own
      tasks start uncancelled; the consumer's task (``owner``) may already have been cancelled ``baseline``
      times when the run starts (code that caught a cancellation and then runs a pipeline in its cleanup).
    """

    __slots__ = ("last_turn", "owner", "baseline")

    def __init__(self) -> None:
        self.last_turn = now()
        self.owner: asyncio.Task[Any] | None = None
        self.baseline = 0

    def own(self, task: asyncio.Task[Any] | None) -> None:
        """``task`` consumes the run."""
        self.owner = task
        self.baseline = task.cancelling() if task is not None else 0

    def swallowed(self) -> asyncio.CancelledError | None:
        """A cancellation to deliver again, if the current task's was caught and ignored."""
        task = asyncio.current_task()
        if task is not None and task.cancelling() > (self.baseline if task is self.owner else 0):
            return asyncio.CancelledError("typedstream: a cancellation that user code caught, delivered again")
        return None


class Counted(Protocol):
    """A stage whose output a boundary counts."""

    items_out: int


class Inlet:
    """The pull side of a boundary between two stages, an async iterator over the producer's chunks.

    Timing each pull at the consumer gives both sides at once: the pull itself is the consumer's upstream wait,
    and the time since the previous chunk arrived is the producer's downstream wait (its chunk was held). It
    also counts what crosses: into the consumer's ``received`` and, unless the producer counts its own output
    (a fused segment does, per stage), into the producing stage's ``items_out``.
    """

    __slots__ = ("_next", "_producer", "_consumer", "_since", "_counts", "_checks")

    def __init__(
        self,
        chunks: AsyncIterator[list[Any]],
        producer: Waits,
        consumer: Waits,
        counts: Counted | None,
        checks: Checkpoints,
    ) -> None:
        self._next = chunks.__anext__
        self._producer = producer
        self._consumer = consumer
        self._since = -1.0  # when the previous chunk arrived; none yet
        self._counts = counts
        self._checks = checks

    def __aiter__(self) -> Inlet:
        return self

    async def __anext__(self) -> list[Any]:
        started = now()
        if self._since >= 0.0:
            self._producer.downstream += started - self._since
        try:
            chunk = await self._next()
        finally:
            arrived = self._since = now()
            waited = arrived - started
            self._consumer.upstream += waited
            self._producer.serving += waited
        n = len(chunk)
        self._consumer.received += n
        if self._counts is not None:
            self._counts.items_out += n
        checks = self._checks
        if arrived - checks.last_turn > TURN_EVERY:  # checked every few ms of work, not per chunk: it costs
            await asyncio.sleep(0)  # the loop's turn: timers, cancellation, progress and other tasks run here
            checks.last_turn = now()
            if (again := checks.swallowed()) is not None:
                raise again
        return chunk


class Histogram:
    """Latencies in log-spaced buckets: constant memory, exact count and max, percentiles within 3.1 %."""

    __slots__ = ("count", "total", "max", "_buckets")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.max = 0.0
        self._buckets: dict[int, int] = {}

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        if seconds > self.max:
            self.max = seconds
        key = _bucket(seconds)
        self._buckets[key] = self._buckets.get(key, 0) + 1

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0 < q <= 1), by nearest rank: the upper edge of its bucket, at most the max."""
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for key in sorted(self._buckets):
            seen += self._buckets[key]
            if seen >= rank:
                return min(_upper_edge(key), self.max)
        return self.max  # pragma: no cover - the ranks always reach count


def _bucket(seconds: float) -> int:
    if seconds <= 0.0:
        return -(1 << 30)
    mantissa, exponent = math.frexp(seconds)  # seconds = mantissa * 2**exponent, 0.5 <= mantissa < 1
    return exponent * SUB_BUCKETS + int((mantissa - 0.5) * 2 * SUB_BUCKETS)


def _upper_edge(key: int) -> float:
    if key == -(1 << 30):
        return 0.0
    exponent, sub = divmod(key, SUB_BUCKETS)
    return math.ldexp(0.5 + (sub + 1) / (2 * SUB_BUCKETS), exponent)
