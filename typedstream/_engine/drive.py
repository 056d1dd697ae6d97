"""Driving a chain: element iteration, sinks and drains, each inside one run scope that ends in one report."""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

from .._progress import ProgressDisplay
from .._report import Latency, Outcome, RunOptions, RunReport, StageMetrics
from .._sinks import Sink, count
from .._validate import check_callable, check_seconds
from .chain import Chain, Chunks, Shape
from .compile import compile_chain
from .metrics import now
from .scope import Run
from .stage import Stage
from .tasks import cancel_and_wait

__all__ = ["add_report_hook", "drain", "into", "iterate", "open_iteration", "remove_report_hook", "report_hooks"]

R = TypeVar("R")


_report_hooks: list[Callable[[RunReport], object]] = []


def add_report_hook(hook: Callable[[RunReport], object]) -> None:
    """Call ``hook`` with the final report of every run from now on, after its ``on_report`` (the OpenTelemetry
    export registers this way). A hook that raises fails the run it reports on."""
    check_callable("add_report_hook", "hook", hook)
    _report_hooks.append(hook)


def remove_report_hook(hook: Callable[[RunReport], object]) -> None:
    """Stop calling ``hook`` (a no-op if it was not added)."""
    _report_hooks[:] = [h for h in _report_hooks if h is not hook]


def report_hooks() -> tuple[Callable[[RunReport], object], ...]:
    return tuple(_report_hooks)


def metrics(st: Stage) -> StageMetrics:
    lat = st.latency
    origin = st.op.shape is Shape.ORIGIN
    return StageMetrics(
        name=st.name,
        kind=st.op.kind,
        items_in=st.accounted_in(),
        items_out=st.items_out,
        skipped=st.skipped,
        failed=st.failed,
        retried=st.retried,
        busy=st.waits.serving if origin else st.busy,
        wait_upstream=st.waits.upstream,
        wait_downstream=st.waits.downstream,
        latency=Latency(lat.count, lat.total / lat.count, lat.percentile(0.5), lat.percentile(0.95), lat.max)
        if lat.count
        else None,
        concurrency=st.concurrency,
        filtered=st.filtered,
        caught=st.caught,
        executor=st.executor,
        dispatch=st.dispatch,
        rate_wait=st.rate_wait,
        retry_wait=st.retry_wait,
        timed_out=st.timed_out,
    )


NESTED = " (nested runs)"
"""The suffix of a report's entries for the stages of the runs that its stages' functions started."""

_enclosing: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("typedstream_enclosing_run", default=None)


class _Scope:
    """One run's bookkeeping around the engine: the compiled chain, the clock, the progress watcher, the final
    report. Compiling runs no user code, so a scope can be made before the first pull.

    A run started by a stage's function (a batch Pipeline's list step runs one per state) hands its counts to
    the run it was started in, whose report then has an entry ``<stage> (nested runs)`` for each of its stages:
    nothing it skipped or caught goes unseen."""

    def __init__(self, chain: Chain, options: RunOptions) -> None:
        _check(options)
        self.run = Run()
        self.run.checks.own(asyncio.current_task())
        self.enclosing = _enclosing.get()
        self._token = _enclosing.set(self)  # for the runs this run's functions start: tasks copy the context
        self.nested: dict[str, StageMetrics] = {}
        self.chunks = compile_chain(chain, self.run, self.run.output)
        self.options = options
        self.started_at = time.time()
        self.started = now()
        self.delivered: int | None = None  # elements yielded by iteration (None: a sink took the chunks)
        self.ended = False
        self.watch_error: Exception | None = None
        self.owner: asyncio.Task[Any] | None = None  # the task to interrupt if the progress callback fails
        self.display: Any = None
        self.watcher: asyncio.Task[None] | None = None
        callbacks: list[Callable[[RunReport], object]] = []
        if (on_progress := options.get("on_progress")) is not None:
            callbacks.append(on_progress)
        if options.get("progress"):
            self.display = ProgressDisplay()
            callbacks.append(self.display.update)
        if callbacks:
            interval = options.get("interval", 0.1 if self.display is not None else 1.0)
            self.watcher = asyncio.create_task(self._watch(callbacks, interval), name="typedstream:progress")

    def snapshot(self, outcome: Outcome, error: BaseException | None = None) -> RunReport:
        return RunReport(
            items=self.run.output.received if self.delivered is None else self.delivered,
            wall_time=now() - self.started,
            stages=(*(metrics(st) for st in self.run.stages), *self.nested.values()),
            outcome=outcome,
            error=None if error is None else f"{type(error).__name__}: {error}",
            started_at=self.started_at,
            items_in=sum(st.items_out for st in self.run.stages if st.op.shape is Shape.ORIGIN),
        )

    def absorb(self, inner: _Scope, report: RunReport) -> None:
        """Add the counts of ``inner``, a run that one of this run's stages started (its sources are left out:
        their input came from this run's stage)."""
        own = [m for st, m in zip(inner.run.stages, report.stages) if st.op.shape is not Shape.ORIGIN]
        for s in [*own, *inner.nested.values()]:
            name = s.name if s.name.endswith(NESTED) else s.name + NESTED
            had = self.nested.get(name)
            if had is None:
                self.nested[name] = dataclasses.replace(s, name=name, latency=None)
                continue
            self.nested[name] = dataclasses.replace(
                had,
                **{f: getattr(had, f) + getattr(s, f) for f in _SUMMED},
            )

    async def _watch(self, callbacks: list[Callable[[RunReport], object]], interval: float) -> None:
        try:
            while True:
                await asyncio.sleep(interval)
                report = self.snapshot("running")
                for callback in callbacks:
                    callback(report)
        except Exception as e:  # a failing progress callback fails the run (nothing is dropped silently)
            e.add_note("typedstream: raised by the run's progress callback")
            self.watch_error = e
            if self.owner is not None:
                self.owner.cancel()

    def interrupted(self) -> Exception | None:
        """The progress callback's failure, if that is what cancelled the owner (its cancel is taken back)."""
        if self.watch_error is not None and self.owner is not None and self.owner.uncancel() == 0:
            return self.watch_error
        return None

    async def end(self, error: BaseException | None) -> RunReport:
        """Stop the watcher, close the run, build the report and hand it out, once, whatever happens meanwhile
        (a cancellation arriving during cleanup is raised after the report). Returns the report; raises what
        the run must raise (``error`` itself, with later failures as notes). A run that would end normally
        although its consumer was cancelled (user code swallowed the cancellation) ends cancelled."""
        self.ended = True
        try:
            _enclosing.reset(self._token)
        except ValueError:  # ended in another context than it started in (a generator closed by the GC)
            pass
        if error is None:
            error = self.run.checks.swallowed()
        late_cancel: asyncio.CancelledError | None = None
        if self.watcher is not None:
            try:
                await cancel_and_wait([self.watcher])
            except asyncio.CancelledError as e:
                late_cancel = e
        if error is None and self.watch_error is not None:
            error = self.watch_error
        cancelled = isinstance(error, asyncio.CancelledError) or late_cancel is not None
        try:
            await self.run.aclose(cancelled=cancelled)  # closes everything even if cancelled meanwhile
        except asyncio.CancelledError as e:
            late_cancel = late_cancel or e
        except BaseException as close_error:  # the run's own error wins; the other is kept as a note
            if error is None:
                error = close_error
            elif close_error is not error:
                error.add_note(f"typedstream: closing the run also failed: {close_error!r}")
        if late_cancel is not None and error is None:
            error = late_cancel
        cancelled = isinstance(error, asyncio.CancelledError)
        outcome: Outcome = "completed" if error is None else "cancelled" if cancelled else "failed"
        report = self.snapshot(outcome, None if cancelled else error)
        if self.enclosing is not None and not self.enclosing.ended:
            self.enclosing.absorb(self, report)
        if self.display is not None:
            self.display.close(report)
        for hook in (self.options.get("on_report"), *_report_hooks):
            if hook is None:
                continue
            try:
                hook(report)
            except Exception as hook_error:
                hook_error.add_note("typedstream: raised by a run's report callback")
                if error is None:
                    error = hook_error
                else:
                    error.add_note(f"typedstream: a report callback also failed: {hook_error!r}")
        if late_cancel is not None:
            raise late_cancel  # never swallowed, never replaced
        if error is not None:
            raise error
        return report


_SUMMED = tuple(  # every count and time of a stage (not its concurrency): a field added later is summed too
    f.name for f in dataclasses.fields(StageMetrics) if f.type in ("int", "float") and f.name != "concurrency"
)


def _check(options: RunOptions) -> None:
    unknown = set(options) - set(RunOptions.__annotations__)
    if unknown:
        raise TypeError(f"run options: unknown option(s) {', '.join(map(repr, sorted(unknown)))}")
    for key in ("on_report", "on_progress"):
        if (f := options.get(key)) is not None:
            check_callable("run options", key, f)
    if (interval := options.get("interval")) is not None:
        check_seconds("run options", "interval", interval, finite=True)


async def _scoped(chain: Chain, body: Callable[[Chunks], Awaitable[R]], options: RunOptions) -> tuple[R, RunReport]:
    scope = _Scope(chain, options)
    scope.owner = asyncio.current_task()
    try:
        result = await body(scope.chunks)
    except asyncio.CancelledError as e:
        await scope.end(scope.interrupted() or e)
        raise  # pragma: no cover - end() raised
    except BaseException as e:
        await scope.end(e)
        raise  # pragma: no cover - end() raised
    return result, await scope.end(None)


def open_iteration(chain: Chain, options: RunOptions | None = None) -> tuple[_Scope, AsyncGenerator[Any]]:
    """A run iterated element by element: its scope (started now) and the generator of its elements."""
    scope = _Scope(chain, options or {})
    return scope, _iterate(scope)


def iterate(chain: Chain, options: RunOptions | None = None) -> AsyncGenerator[Any]:
    return open_iteration(chain, options)[1]


async def _iterate(scope: _Scope) -> AsyncGenerator[Any]:
    """Yield the run's elements. A failing progress callback interrupts a pull in progress (the consumer's task
    is interrupted only while it waits inside this generator) or surfaces at the next one."""
    error: BaseException | None = None
    chunks = scope.chunks
    task = asyncio.current_task()
    scope.delivered = 0
    try:
        while True:
            if scope.watch_error is not None:
                raise scope.watch_error
            scope.owner = task
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except asyncio.CancelledError:
                if (failed := scope.interrupted()) is not None:
                    raise failed from None
                raise
            finally:
                scope.owner = None
            for x in chunk:
                scope.delivered += 1
                yield x
    except BaseException as e:
        error = e
        raise
    finally:
        if isinstance(error, GeneratorExit):
            error = None  # the consumer stopped early: the run completed as far as it was asked
        await scope.end(error)


async def into(chain: Chain, sink: Sink[Any, R], options: RunOptions) -> R:
    return (await _scoped(chain, sink.consume, options))[0]


async def drain(chain: Chain, options: RunOptions) -> RunReport:
    return (await _scoped(chain, count().consume, options))[1]
