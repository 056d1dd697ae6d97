"""One stage in one run: its name, its counters and timers, and (for a guarded stage) its error handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .chain import Op, Shape
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
        "latency", "waited", "recovery", "filters", "concurrency", "executor", "dispatch",
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

    async def call(self, fn: Callable[[Any], Any], x: Any) -> Any:
        """One call of the stage's function, for a stage that calls per element (not fused): the value, or
        ``SKIPPED``/``Caught`` from a guarded stage; a failure is raised (the original exception, noted with the
        stage and element) and counted. Its time, retries included, is the element's latency; waits between
        retries are not busy time."""
        started = now()
        waited: list[float] | None = None  # retry waits of this call, only once a call failed
        try:
            return await call(fn, x)
        except Exception as e:
            waited = [0.0]
            return await self.settle(fn, x, e, waited)
        finally:
            took = now() - started
            self.busy += took if waited is None else took - waited[0]
            self.latency.add(took)

    async def settle(self, fn: Callable[[Any], Any], x: Any, exc: Exception, waited: list[float]) -> Any:
        """The first call of ``fn`` on ``x`` raised ``exc`` (here or on an executor): what the stage's guard makes
        of it (a value from a retry, ``SKIPPED``, ``Caught``), else ``exc`` raised, noted and counted. Retry waits
        are added to ``waited[0]``."""
        recovery = self.recovery
        if recovery is None:
            self.failure(exc, x)  # the original exception goes on; the note says where
            raise exc
        try:
            return await recovery.recover(fn, x, exc, waited)
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
