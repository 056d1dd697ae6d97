"""``Pipeline[In, S]``: the classic batch pipeline (named steps accumulating typed state, step retry, list error
strategies, per-step timing) as a facade over the streaming engine.

Each step compiles to one engine stage over ``Result`` elements: a ``Success(state)`` goes through the step's
function (with the engine's retry and timing), a ``Failure`` passes untouched, and a step that fails after its
retries turns the element into ``Failure(StepError)``. ``run(x)`` is a one-element run of that stream, and its
step records come from the run's report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, cast, overload

from returns.result import Failure, Result, Success
from typing_extensions import override

from ._engine import NESTED, Caught, DaskClient, Guard, Kernel, Op, now
from ._errors import DeadLetter
from ._faces import Source, Stream, source
from ._ops.element import default_concurrency, element, is_async_callable, settings
from ._ops.element import map as map_op
from ._ops.results import side_call
from ._ops.results import try_map as try_map_op
from ._report import RunReport
from ._retry import Retry
from ._sinks import Sink
from ._validate import check_callable, check_count, check_instance, check_name, check_one_of, check_seconds

__all__ = ["Pipeline", "PipelineResult", "StepError", "StepRecord"]

In = TypeVar("In")
S = TypeVar("S")
S2 = TypeVar("S2")
T = TypeVar("T")
X = TypeVar("X")
Y = TypeVar("Y")

StepStatus = Literal["ok", "failed", "not_run"]
START = "(start)"  # the stage that wraps each input in Success
RESERVED = frozenset({"source", START})  # stage names a run of the facade uses itself


class StepError(Exception):
    """A step failed after its retries. ``__cause__`` is the step's own exception; ``state`` is the state the step
    received (the partial state of the run)."""

    def __init__(self, pipeline: str, step: str, state: object, cause: Exception, attempts: int) -> None:
        super().__init__(
            f"pipeline {pipeline!r}: step {step!r} failed after {attempts} attempt(s): {type(cause).__name__}: {cause}"
        )
        self.pipeline = pipeline
        self.step = step
        self.state = state
        self.attempts = attempts
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        assert self.__cause__ is not None
        return self.__cause__


@dataclass(frozen=True, slots=True)
class StepRecord:
    """What one step did in one ``run``."""

    name: str
    status: StepStatus
    """``ok``; ``failed`` (the run stopped here); ``not_run`` (an earlier step failed)."""
    attempts: int
    duration: float
    """Seconds inside the step's function, retries included (waits between attempts are not)."""
    error: BaseException | None = None
    """The step's own exception when it failed."""
    skipped: int = 0
    """Items a list step (``.each(..., on_error="skip")``) left out; the run's report has them too, in the entry
    ``<step> (nested runs)``."""


@dataclass(frozen=True, slots=True)
class PipelineResult(Generic[S]):
    """The outcome of ``await pipeline.run(x)``. A failed step does not raise: check ``ok`` or read ``state``,
    which raises the ``StepError``."""

    pipeline: str
    outcome: Result[S, StepError]
    steps: tuple[StepRecord, ...]
    duration: float
    """Seconds for the whole run."""
    report: RunReport
    """The engine's report of the one-element run behind it."""

    @property
    def ok(self) -> bool:
        return isinstance(self.outcome, Success)

    @property
    def state(self) -> S:
        """The final state; raises the ``StepError`` if a step failed."""
        if isinstance(self.outcome, Success):
            value: S = self.outcome.unwrap()
            return value
        raise self.outcome.failure()

    @property
    def error(self) -> StepError | None:
        return None if isinstance(self.outcome, Success) else self.outcome.failure()

    @property
    def failed_step(self) -> str | None:
        error = self.error
        return None if error is None else error.step

    @property
    def partial_state(self) -> object:
        """The state the failing step received (the final state when every step succeeded)."""
        return self.outcome.unwrap() if isinstance(self.outcome, Success) else self.outcome.failure().state


@dataclass(frozen=True, slots=True)
class _Step:
    name: str
    fn: Callable[[Any], Any]
    retry: Retry | None
    executor: Executor | DaskClient | None = None
    timeout: float | None = None


class Pipeline(Generic[In, S]):
    """Named steps, each a function from the state so far to the next state (sync or async), checked by the type
    checker at every step. States should be immutable records (frozen dataclasses): a step returns a new one.

        p = Pipeline("orders", RawOrder).step("parse", parse).step("price", price, retry=Retry(3))
        result = await p.run(raw)              # one input, like the batch for loop: PipelineResult[Priced]
        async for r in p.stream(raws, concurrency=8): ...   # many inputs: Result[Priced, StepError] each
    """

    __slots__ = ("name", "_input_type", "_steps", "_compiled")
    name: str
    _input_type: type[object]
    _steps: tuple[_Step, ...]
    _compiled: dict[int, object]  # as_stream() per concurrency: built once (ops are immutable)

    # ``__new__``, not ``__init__``: it types ``Pipeline(name, T)`` as ``Pipeline[T, T]`` in both checkers.
    def __new__(cls, name: str, input_type: type[T]) -> Pipeline[T, T]:
        check_name("Pipeline", "name", name)
        check_instance(f"pipeline {name!r}", "input_type", input_type, type, "a class")
        return cast("Pipeline[T, T]", cls._make(name, input_type, ()))

    @classmethod
    def _make(cls, name: str, input_type: type[object], steps: tuple[_Step, ...]) -> Pipeline[Any, Any]:
        new: Pipeline[Any, Any] = object.__new__(cls)
        new.name, new._input_type, new._steps = name, input_type, steps
        new._compiled = {}
        return new

    @property
    def input_type(self) -> type[In]:
        return cast("type[In]", self._input_type)

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}: {' -> '.join(s.name for s in self._steps) or 'no steps'})"

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._steps)

    def _then(
        self,
        name: str,
        fn: Callable[[Any], Any],
        retry: Retry | None,
        timeout: float | None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, Any]:
        where = f"pipeline {self.name!r}"
        check_name(where, "a step name", name)
        if name in RESERVED or name in self.step_names:
            raise ValueError(f"{where}: step name {name!r} is {'reserved' if name in RESERVED else 'already used'}")
        at = f"{where}, step {name!r}"
        check_callable(at, "the function", fn)
        if retry is not None:
            check_instance(at, "retry", retry, Retry, "a Retry or None")
        if timeout is not None:
            timeout = check_seconds(at, "timeout", timeout, finite=True)
            if executor is None and not is_async_callable(fn):
                fn = _in_a_thread(fn)  # so that the engine can time out each attempt (the thread runs on)
        if executor is not None:
            # checked now: an async f, a lambda for processes, timeout= against the workers
            settings("step", fn, {"name": name, "executor": executor, "timeout": timeout})
        return self._make(self.name, self._input_type, self._steps + (_Step(name, fn, retry, executor, timeout),))

    @overload
    def step(
        self,
        name: str,
        f: Callable[[S], Coroutine[Any, Any, S2]],
        *,
        retry: Retry | None = None,
        timeout: float | None = None,
    ) -> Pipeline[In, S2]: ...
    @overload
    def step(
        self, name: str, f: Callable[[S], Awaitable[S2]], *, retry: Retry | None = None, timeout: float | None = None
    ) -> Pipeline[In, S2]: ...
    @overload
    def step(
        self,
        name: str,
        f: Callable[[S], S2],
        *,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, S2]: ...
    def step(
        self,
        name: str,
        f: Callable[[S], Any],
        *,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, Any]:
        """Add a step ``f: S -> S2`` (sync or async). ``retry`` re-runs a failing step with backoff;
        ``timeout`` bounds each attempt (a sync step then runs in a worker thread, or on ``executor``); ``executor``
        runs a plain ``f`` on a thread or process pool or a Dask cluster."""
        return self._then(name, f, retry, timeout, executor)

    @overload
    def each(
        self,
        name: str,
        *,
        items: Callable[[S], Iterable[X]],
        f: Callable[[X], Coroutine[Any, Any, Y]],
        into: Callable[[S, list[Result[Y, Exception]]], S2],
        on_error: Literal["collect"],
        concurrency: int | None = None,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, S2]: ...
    @overload
    def each(
        self,
        name: str,
        *,
        items: Callable[[S], Iterable[X]],
        f: Callable[[X], Y],
        into: Callable[[S, list[Result[Y, Exception]]], S2],
        on_error: Literal["collect"],
        concurrency: int | None = None,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, S2]: ...
    @overload
    def each(
        self,
        name: str,
        *,
        items: Callable[[S], Iterable[X]],
        f: Callable[[X], Coroutine[Any, Any, Y]],
        into: Callable[[S, list[Y]], S2],
        on_error: Literal["fail", "skip"] = "fail",
        dead_letter: Sink[DeadLetter[X], object] | None = None,
        concurrency: int | None = None,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, S2]: ...
    @overload
    def each(
        self,
        name: str,
        *,
        items: Callable[[S], Iterable[X]],
        f: Callable[[X], Y],
        into: Callable[[S, list[Y]], S2],
        on_error: Literal["fail", "skip"] = "fail",
        dead_letter: Sink[DeadLetter[X], object] | None = None,
        concurrency: int | None = None,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, S2]: ...
    def each(
        self,
        name: str,
        *,
        items: Callable[[S], Iterable[Any]],
        f: Callable[[Any], Any],
        into: Callable[[S, list[Any]], Any],
        on_error: Literal["fail", "skip", "collect"] = "fail",
        dead_letter: Sink[DeadLetter[Any], object] | None = None,
        concurrency: int | None = None,
        retry: Retry | None = None,
        timeout: float | None = None,
        executor: Executor | DaskClient | None = None,
    ) -> Pipeline[In, Any]:
        """A list step: apply ``f`` (sync or async, up to ``concurrency`` at once, in order) to each item of
        ``items(state)``, then ``into(state, results)`` makes the next state. ``on_error``: ``"fail"`` fails the
        step at the first failing item; ``"skip"`` leaves failing items out; ``"collect"`` keeps every item's
        ``Result`` (``Failure(exception)`` for a failing one); with ``"skip"``, ``dead_letter`` receives each
        skipped item as a ``DeadLetter``. ``retry`` applies to each item (an item is skipped, collected or fails
        the step only once its retries are spent); ``timeout`` bounds the whole step. ``executor`` runs a plain ``f``
        on a thread or process pool or a Dask cluster, in chunks of items (``concurrency`` then defaults to twice
        its workers; else to 1)."""
        where = f"pipeline {self.name!r}, step {name!r}"
        for what, fn in (("items", items), ("into", into)):
            check_callable(where, what, fn)
        check_one_of(where, "on_error", on_error, ("fail", "skip", "collect"))
        # The per-item stage is built (so f, concurrency, retry and dead_letter are checked by the engine) once,
        # here; each state only puts a source of its items in front of it.
        n = default_concurrency(executor, where) if concurrency is None else concurrency
        if on_error == "collect":
            op = try_map_op(f, Exception, concurrency=n, retry=retry, name=name, executor=executor)
        else:
            op = map_op(f, concurrency=n, retry=retry, name=name, executor=executor, on_error=on_error, dead_letter=dead_letter)
        per_item = Stream[Any, Any]((op,))

        async def each_item(state: Any) -> Any:
            return into(state, await (source(items(state)) | per_item).collect())

        return self._then(name, each_item, None, timeout)

    # -- running ------------------------------------------------------------------------------------------

    def as_stream(self, *, concurrency: int = 1) -> Stream[In, Result[S, StepError]]:
        """The steps as a stream stage: each input becomes ``Success(final state)`` or ``Failure(StepError)``;
        ``concurrency`` inputs are in each step at once (outputs stay in input order)."""
        compiled = self._compiled.get(concurrency)
        if compiled is None:
            check_count(f"pipeline {self.name!r}", "concurrency", concurrency, minimum=1)
            start = element("map", Success, Kernel, {"name": START})
            compiled = self._compiled[concurrency] = Stream[Any, Any]((start, *(self._op(s, concurrency) for s in self._steps)))
        return cast("Stream[In, Result[S, StepError]]", compiled)

    def stream(
        self, inputs: Iterable[In] | AsyncIterable[In], *, concurrency: int = 1
    ) -> Source[Result[S, StepError]]:
        """Run the steps over many inputs, streaming: one ``Result`` per input, in input order."""
        return source(inputs) | self.as_stream(concurrency=concurrency)

    async def run(self, x: In) -> PipelineResult[S]:
        """Run the steps over one input, one after another, as the batch for loop did."""
        reports: list[RunReport] = []
        started = now()
        [outcome] = await self.stream([x]).collect(on_report=reports.append)
        duration = now() - started
        return PipelineResult(self.name, outcome, self._records(reports[0], outcome), duration, reports[0])

    def _op(self, step: _Step, concurrency: int) -> Op:
        """One engine stage: ``map_ok``'s call, the engine's retry, then a catch-all that ``StepKernel`` turns
        into ``Failure(StepError)`` (not shown in graphs: it is how a step reports, not a user option)."""
        checked = settings(
            "step",
            step.fn,
            {
                "name": step.name,
                "retry": step.retry,
                "concurrency": concurrency,
                "executor": step.executor,
                "timeout": step.timeout,
            },
        )
        guard = dataclasses.replace(checked.guard or Guard(), catch=(Exception,), catch_shown=False)
        kernel = functools.partial(StepKernel, fail=functools.partial(_step_error, self.name, step.name))
        call = side_call(step.name, step.fn, on_value=True, returns_result=False)
        return dataclasses.replace(checked, guard=guard).op("step", step.fn, kernel, call=call)

    def _records(self, report: RunReport, outcome: Result[Any, StepError]) -> tuple[StepRecord, ...]:
        failed = None if isinstance(outcome, Success) else outcome.failure()
        nested = {s.name: s for s in report.stages}
        records: list[StepRecord] = []
        reached_failure = False
        for step in self._steps:
            if reached_failure:
                records.append(StepRecord(step.name, "not_run", 0, 0.0))
                continue
            metrics = report.stage(step.name)
            items = nested.get(step.name + NESTED)
            skipped = 0 if items is None else items.skipped
            if failed is not None and failed.step == step.name:
                reached_failure = True
                records.append(StepRecord(step.name, "failed", failed.attempts, metrics.busy, failed.cause, skipped))
            else:
                records.append(StepRecord(step.name, "ok", 1 + metrics.retried, metrics.busy, None, skipped))
        return tuple(records)


class StepKernel(Kernel):
    """A step: a call that failed (after its retries) becomes ``Failure(fail(state, caught))``, where ``state``
    is the value of the ``Success`` the step received."""

    __slots__ = ("fail",)

    def __init__(self, fn: Callable[[Any], Any], fail: Callable[[Any, Caught], Exception]) -> None:
        super().__init__(fn)
        self.fail = fail

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        fail = self.fail
        return [Failure(fail(x.unwrap(), r)) if r.__class__ is Caught else r for x, r in zip(chunk, results)]


def _step_error(pipeline: str, step: str, state: object, caught: Caught) -> StepError:
    return StepError(pipeline, step, state, caught.error, caught.attempts)


def _in_a_thread(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A sync step as an async one that runs it in a worker thread, so each attempt can be timed out (the thread
    itself cannot be stopped: its result is discarded)."""

    @functools.wraps(fn)
    async def threaded(state: Any) -> Any:
        return await asyncio.to_thread(fn, state)

    return threaded
