"""A stage's function raised: retry it, catch the exception into a value, skip the element, or fail the run.

Every call path of the engine (the fused loop, the element executors) hands an ``Exception`` from user code to
the stage's ``Recovery``; nothing else in the package catches a user function's exceptions.
"""

from __future__ import annotations

import asyncio
import inspect
import reprlib
import traceback
from collections.abc import AsyncGenerator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .._errors import DeadLetter
from .._retry import RetryEvent
from .._sinks import Sink
from .chain import Guard, Limits
from .kernel import SKIPPED, Caught
from .metrics import now
from .tasks import cancel_and_wait

if TYPE_CHECKING:
    import random

__all__ = ["DeadLetters", "Recovery", "annotate", "call", "describe"]

R = TypeVar("R")
_isawaitable = inspect.isawaitable
_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80


def describe(x: object) -> str:
    """An element, abbreviated for an error note."""
    return _repr.repr(x)


def annotate(exc: BaseException, stage: str, element: object = None, *, has_element: bool = True) -> BaseException:
    """Attach the failing stage (and element) to an exception, once: the stage where it first surfaced."""
    if getattr(exc, "__typedstream_stage__", None) is None:
        try:
            exc.__typedstream_stage__ = stage  # type: ignore[attr-defined]
        except AttributeError:  # exceptions with __slots__ and no __dict__: notes still work
            pass
        where = f" on element {describe(element)}" if has_element else ""
        exc.add_note(f"typedstream: stage {stage!r} failed{where}")
    return exc


def detached(exc: Exception) -> str:
    """Make ``exc`` fit for a dead letter, which may be kept for hours, and say where the user's code raised it
    (``file:line in function``, outermost first). The live tracebacks of ``exc`` and of the exceptions chained to
    it are dropped: a traceback's frames link back to the engine's, which hold whole chunks, so every letter kept
    its chunk alive (1,000,000 lines with 20,000 bad ones: 435 MB peak RSS instead of 32)."""
    tb = exc.__traceback__
    while tb is not None and _in_package(tb):
        tb = tb.tb_next
    where = " -> ".join(f"{f.f_code.co_filename}:{line} in {f.f_code.co_name}" for f, line in traceback.walk_tb(tb))
    seen: set[int] = set()
    chained: list[BaseException | None] = [exc]
    while chained:
        e = chained.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = None
        chained += (e.__cause__, e.__context__)
    return where


def _in_package(tb: TracebackType) -> bool:
    return str(tb.tb_frame.f_globals.get("__name__", "")).startswith("typedstream.")


async def call(fn: Callable[[Any], Any], x: Any) -> Any:
    """``fn(x)``, awaited if it returns an awaitable (a plain callable may return one)."""
    r = fn(x)
    if _isawaitable(r):
        r = await r
    return r


class Guarded(Protocol):
    """What the guard reads and counts of its stage."""

    @property
    def name(self) -> str: ...

    retried: int
    skipped: int
    caught: int
    retry_wait: float
    limits: Limits | None


class Recovery:
    """One guarded stage's error handling in one run (its jitter source and dead-letter sink are per run)."""

    __slots__ = ("guard", "stage", "_letters", "_rng", "_feeder")

    def __init__(self, guard: Guard, stage: Guarded, letters: list[DeadLetters]) -> None:
        self.guard = guard
        self.stage = stage
        self._letters = letters  # the run's: it finishes or cancels every sink when it ends
        self._rng: random.Random | None = None
        self._feeder: DeadLetters | None = None

    async def recover(
        self, fn: Callable[[Any], Any], x: Any, exc: Exception, waited: list[float], began: float | None = None
    ) -> Any:
        """``fn(x)`` raised ``exc`` on its first call, which started at ``began`` (the loop's time; default: now).
        Retry as the policy says; then return the value, a ``Caught``, ``SKIPPED``, or raise the last exception
        with the stage and element noted. Time spent waiting between attempts is added to ``waited[0]`` (it is the element's
        latency, not busy time).

        Only ``Exception``s get here: a cancellation is never retried, caught or skipped.
        """
        guard, st = self.guard, self.stage
        retry = guard.retry
        attempts = 1
        if retry is not None:
            if self._rng is None:
                self._rng = retry.rng()
            loop = asyncio.get_running_loop()
            began = loop.time() if began is None else began
            # The deadline is on the loop's clock, waits counted as asked for: a virtual sleep= takes no loop time.
            slept = asked = 0.0
            while attempts < retry.attempts and isinstance(exc, retry.retry_on):
                server = self._hook(retry.delay_after, exc, "delay_from", x)
                delay = retry.backoff.delay(attempts, self._rng) if server is None else server
                elapsed = loop.time() - began - slept + asked
                limit = None if st.limits is None else st.limits.rate_limit
                if server is not None and limit is not None and limit.pause_on_retry_after:
                    limit.pause(server)  # the server said to slow down: so does every stage on the limiter
                if retry.deadline is not None and elapsed + delay > retry.deadline:
                    exc.add_note(
                        f"typedstream: gave up: waiting {delay:g} s more would pass the deadline of "
                        f"{retry.deadline:g} s ({elapsed:.3g} s taken)"
                    )
                    break
                if retry.on_retry is not None:
                    self._hook(retry.on_retry, RetryEvent(st.name, x, attempts, exc, delay, elapsed), "on_retry", x)
                st.retried += 1
                waiting, waiting_loop = now(), loop.time()
                await retry.sleep(delay)
                took = now() - waiting
                slept += loop.time() - waiting_loop
                asked += delay
                waited[0] += took
                st.retry_wait += took
                attempts += 1
                try:
                    return await call(fn, x)
                except Exception as e:
                    if e.__context__ is None and e is not exc:
                        e.__context__ = exc  # the earlier attempts stay visible in the traceback
                    exc = e
        if guard.catch and isinstance(exc, guard.catch):
            annotate(exc, st.name, x)
            st.caught += 1
            return Caught(exc, attempts)
        if guard.skip:
            if guard.dead_letter is not None:
                await self._feed(guard.dead_letter).put(DeadLetter(x, exc, st.name, attempts, detached(exc)))
            st.skipped += 1  # once its letter is handed over: a run cancelled meanwhile never finished it
            return SKIPPED
        annotate(exc, st.name, x)
        if attempts > 1:
            exc.add_note(f"typedstream: gave up after {attempts} attempts")
        raise exc

    def _hook(self, hook: Callable[[Any], R], arg: Any, what: str, x: Any) -> R:
        """A retry policy's function: its failure ends the run, said to be the policy's, not the element's."""
        try:
            return hook(arg)
        except Exception as e:
            e.add_note(f"typedstream: Retry({what}=...) of stage {self.stage.name!r} raised")
            annotate(e, self.stage.name, x)
            raise

    def _feed(self, sink: Sink[Any, object]) -> DeadLetters:
        if self._feeder is None:
            self._feeder = DeadLetters(sink, self.stage.name)
            self._letters.append(self._feeder)
        return self._feeder


_END: Any = object()


class DeadLetters:
    """Feeds one stage's dead letters to its sink, which runs as a task until the run ends."""

    __slots__ = ("queue", "task", "stage", "sent", "taken", "_letters")

    def __init__(self, sink: Sink[Any, object], stage: str) -> None:
        self.stage = stage
        self.sent = 0
        self.taken = 0
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=256)
        self._letters = self._chunks()  # closed by the run once the sink's task has ended, never by the GC
        self.task = asyncio.create_task(sink.consume(self._letters), name=f"typedstream:{stage}:dead_letter")

    async def _chunks(self) -> AsyncGenerator[list[Any]]:
        while (letter := await self.queue.get()) is not _END:
            chunk = [letter]
            while not self.queue.empty():
                letter = self.queue.get_nowait()
                if letter is _END:
                    self.taken += len(chunk)
                    yield chunk
                    return
                chunk.append(letter)
            self.taken += len(chunk)
            yield chunk

    async def put(self, letter: DeadLetter[Any]) -> None:
        if self.task.done():
            self._sink_ended()
        self.sent += 1
        try:
            self.queue.put_nowait(letter)
            return
        except asyncio.QueueFull:
            pass
        put = asyncio.ensure_future(self.queue.put(letter))
        try:
            await asyncio.wait([put, self.task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not put.done():
                await cancel_and_wait([put])
        if not put.done() or put.cancelled():
            self._sink_ended()

    def _sink_ended(self, detail: str = "") -> None:
        error = RuntimeError(f"stage {self.stage!r}: the dead-letter sink stopped before the run ended{detail}")
        if self.task.done() and not self.task.cancelled() and self.task.exception() is not None:
            raise error from self.task.exception()
        raise error

    async def abandon(self) -> None:
        try:
            await cancel_and_wait([self.task])
        finally:
            await self._letters.aclose()

    async def finish(self) -> None:
        """Let the sink take every letter, then wait for it to end; its failure is the run's failure."""
        if not self.task.done():
            put = asyncio.ensure_future(self.queue.put(_END))
            try:
                await asyncio.wait([put, self.task], return_when=asyncio.FIRST_COMPLETED)
                await asyncio.wait([self.task])
            finally:  # also when the run is cancelled meanwhile: nothing outlives it
                try:
                    await cancel_and_wait([put, self.task])
                finally:
                    await self._letters.aclose()  # the sink may have stopped (or failed) holding it open
        else:
            await self._letters.aclose()
        if not self.task.cancelled() and (error := self.task.exception()) is not None:
            error.add_note(f"typedstream: the dead-letter sink of stage {self.stage!r} failed")
            raise error
        left = self.sent - self.taken
        if left:
            self._sink_ended(f" ({left} dead letter(s) not taken)")
