"""One stage in one run: its name, its counters and timers, and (for a guarded stage) its error handling."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from .._ratelimit import RateLimit
from .chain import Limits, Op, Shape
from .guard import DeadLetters, Recovery, annotate, call
from .metrics import Histogram, Waits, now

__all__ = ["Stage"]


class Stage:
    """Counters are per chunk in fused stages and per element in element stages; the boundaries count the
    output of every other stage. An element counts as ``items_in`` once the stage is done with it (passed on,
    filtered, skipped or failed), so for a one-to-one stage ``items_in == items_out + filtered + skipped +
    failed`` whatever ended the run.
    """

    __slots__ = (
        "op", "name", "index", "items_in", "items_out", "filtered", "skipped", "failed", "retried", "caught", "busy", "waits",
        "latency", "waited", "recovery", "filters", "concurrency", "executor", "dispatch", "limits", "rate_wait",
        "retry_wait", "timed_out", "deadline",
    )

    def __init__(self, op: Op, name: str, index: int, letters: list[DeadLetters]) -> None:
        self.op = op
        self.name = name
        self.index = index  # position in the run
        self.items_in = 0
        self.items_out = 0
        self.filtered = 0  # counted where it happens, so the accounting identity is checked, not assumed
        self.filters = op.shape is Shape.ONE_TO_ONE  # an input with no output was filtered (else: reshaped)
        self.skipped = 0
        self.failed = 0
        self.retried = 0
        self.caught = 0  # failures turned into values (try_map, Pipeline steps); they are in items_out
        self.busy = 0.0  # seconds inside user code (summed over concurrent calls)
        self.waits = Waits()  # shared by the stages of a fused segment
        self.latency = Histogram()  # per call, for stages that call per element
        self.waited = [0.0]  # retry waits in the fused chunk being processed (one task: no interleaving)
        self.recovery = None if op.guard is None else Recovery(op.guard, self, letters)
        self.concurrency = op.concurrency
        self.executor = None if op.remote is None else op.remote.label  # e.g. "process(2)"
        self.dispatch = 0.0  # an executor stage: seconds its remote tasks spent outside the function
        self.limits = op.limits
        self.deadline = op.guard is not None and op.guard.retry is not None and op.guard.retry.deadline is not None
        self.rate_wait = 0.0  # seconds calls waited for a token of the stage's rate limit
        self.retry_wait = 0.0  # seconds elements waited between attempts
        self.timed_out = 0  # calls that ran out of time (timeout=)

    async def call(self, fn: Callable[[Any], Any], x: Any) -> Any:
        """One call of the stage's function, for a stage that calls per element (not fused): the value, or
        ``SKIPPED``/``Caught`` from a guarded stage; a failure is raised (the original exception, noted with the
        stage and element) and counted. Its time, retries included, is the element's latency; waits between
        retries are not busy time."""
        if self.limits is not None:
            return await self._limited_call(self.limits, fn, x)
        started = now()
        began = asyncio.get_running_loop().time() if self.deadline else None  # a deadline is on the loop's clock
        waited: list[float] | None = None  # retry waits of this call, only once a call failed
        try:
            return await call(fn, x)
        except Exception as e:
            waited = [0.0]
            return await self.settle(fn, x, e, waited, began)
        finally:
            took = now() - started
            self.busy += took if waited is None else took - waited[0]
            self.latency.add(took)

    async def _limited_call(self, limits: Limits, fn: Callable[[Any], Any], x: Any) -> Any:
        """``call`` for a stage with ``rate_limit=`` or ``timeout=``: every attempt, retries included, takes its
        token and runs within its timeout. Waits for tokens, like waits between attempts, are not busy time. The
        element's cost is found once, before its first attempt: a ``rate_cost`` that fails is the stage's bug,
        which ends the run, not the element's failure to retry or skip."""
        started = now()
        loop = asyncio.get_running_loop()
        tokens = 1.0
        if limits.cost is not None:
            try:
                tokens = self.cost(limits.cost, x)
            except Exception as e:
                raise self.failure(e, x) from None  # counted failed here; the caller counts it in
        waited = [0.0]
        began: list[float] = []  # when the first call started, after its token: the deadline counts from there

        async def attempt(x: Any) -> Any:
            if limits.rate_limit is not None:
                waited[0] += await self.token(limits.rate_limit, tokens)
            if not began:
                began.append(loop.time())
            if limits.timeout is None:
                return await call(fn, x)
            deadline = asyncio.timeout(limits.timeout)
            try:
                async with deadline:
                    result = await call(fn, x)
            except TimeoutError:
                if not deadline.expired():
                    raise  # the function's own
            else:
                if not deadline.expired():
                    return result
                # the function swallowed the cancellation that timed it out: its late result is not used
            raise self.time_out(limits.timeout) from None

        try:
            try:
                return await attempt(x)
            except Exception as e:
                return await self.settle(attempt, x, e, waited, began[0] if began else None)
        finally:
            took = now() - started
            self.busy += took - waited[0]
            self.latency.add(took)

    async def token(self, limit: RateLimit, tokens: float) -> float:
        """Take ``tokens`` from the stage's rate limit before a call; the seconds waited, timed on the clock busy
        time is on (the limiter's may be virtual) and counted as the stage's ``rate_wait``."""
        asked = now()
        await limit.acquire(tokens)
        spent = now() - asked
        self.rate_wait += spent
        return spent

    def time_out(self, seconds: float, after: str = "") -> TimeoutError:
        """A call ran out of time: count it; what it raises in its element."""
        self.timed_out += 1
        error = TimeoutError(f"the call took longer than timeout={seconds:g} s")
        error.add_note(f"typedstream: a call of stage {self.name!r} took longer than timeout={seconds:g} s{after}")
        return error

    def cost(self, cost: Callable[[Any], Any], x: Any) -> float:
        """The tokens a call on ``x`` takes (``rate_cost=``), checked."""
        try:
            tokens = cost(x)
        except Exception as e:
            e.add_note(f"typedstream: rate_cost of stage {self.name!r} raised")
            raise
        if isinstance(tokens, bool) or not isinstance(tokens, (int, float)):
            raise TypeError(f"stage {self.name!r}: rate_cost must give a number of tokens, got {tokens!r}")
        if not 0 <= tokens < math.inf:
            raise ValueError(f"stage {self.name!r}: rate_cost must give a finite number of tokens >= 0, got {tokens!r}")
        return float(tokens)

    async def settle(
        self, fn: Callable[[Any], Any], x: Any, exc: Exception, waited: list[float], began: float | None = None
    ) -> Any:
        """The first call of ``fn`` on ``x`` raised ``exc`` (here or on an executor): what the stage's guard makes
        of it (a value from a retry, ``SKIPPED``, ``Caught``), else ``exc`` raised, noted and counted. Retry waits
        are added to ``waited[0]``; ``began`` is when the first call started on the loop's clock, if known."""
        recovery = self.recovery
        if recovery is None:
            self.failure(exc, x)  # the original exception goes on; the note says where
            raise exc
        try:
            return await recovery.recover(fn, x, exc, waited, began)
        except Exception:
            self.failed += 1  # noted by the recovery
            raise

    def failure(self, exc: BaseException, element: object) -> BaseException:
        """``exc`` ended this stage's work on ``element``: count it and say where it happened."""
        self.failed += 1
        return annotate(exc, self.name, element)

    def accounted_in(self) -> int:
        """``items_in`` as the report gives it: the executors count what they finished with; a puller's input
        is what it took in, and a pass-through puller finished with what it passed on."""
        shape = self.op.shape
        if shape is Shape.PASS_THROUGH:
            return self.items_out
        if self.op.pull is not None:
            return self.waits.received
        return self.items_in
