"""Element operators: one call of the user's function per element (map, filter, flat_map, tap, take_while), and
the options they share. Every element operator, the ``Result`` ones and the batch ``Pipeline``'s steps too, is
built by ``element`` from its checked options: the engine then calls, times, guards and counts the function.
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import AsyncIterable, Awaitable, Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Generic, Literal, ParamSpec, TypeVar, cast

from typing_extensions import TypeIs, TypedDict, Unpack, override

from .._engine import (
    MAX_CHUNK,
    Chunks,
    DaskClient,
    Guard,
    Kernel,
    Limits,
    Op,
    Remote,
    Shape,
    StageContext,
    aclose_iterator,
    check_sendable,
    close_iterator,
    remote,
)
from .._errors import DeadLetter
from .._ratelimit import RateLimit
from .._retry import Retry
from .._sinks import Sink
from .._validate import (
    check_callable,
    check_count,
    check_instance,
    check_one_of,
    check_seconds,
    fail,
    stage_name,
    unwrap_partial,
    where,
)

__all__ = ["ElementOptions", "awaiting", "default_concurrency", "element", "filter", "flat_map", "is_async_callable", "map", "not_none", "settings", "tap", "take_while"]

T = TypeVar("T")
_chain = itertools.chain.from_iterable
_compress = itertools.compress


class ElementOptions(TypedDict, Generic[T], total=False, closed=True):
    """Options of the element operators (``map``, ``filter``, ``flat_map``, ``tap``, ``try_map`` and the
    ``Result`` operators); ``T`` is the stage's input element type."""

    concurrency: int
    """Calls in flight at once (default 1). Above 1 the stage is a pool of that many workers."""
    ordered: bool
    """Emit results in input order (default True); False emits each result as soon as it is ready."""
    window: int | None
    """Elements that may be undelivered at once (default 32 x concurrency): how far free workers run ahead
    of a slow head element, and so how much memory the stage can hold."""
    name: str | None
    """The stage's name in errors and reports (default: the function's name)."""
    retry: Retry | None
    """Call the function again on an element that raised one of ``retry.retry_on`` (default: no retry)."""
    on_error: Literal["fail", "skip"]
    """What an element whose call still fails does to the run: ``"fail"`` (default) ends the run with the
    original exception; ``"skip"`` drops the element, counts it and sends it to ``dead_letter``."""
    dead_letter: Sink[DeadLetter[T], object] | None
    """With ``on_error="skip"``: a sink that receives a ``DeadLetter`` for every dropped element."""
    executor: Executor | DaskClient | None
    """Run the (plain, not ``async``) function on this executor instead of the event loop: a
    ``ThreadPoolExecutor``, a ``ProcessPoolExecutor`` or ``typedstream.ProcessPool``, or a Dask
    ``distributed.Client``. Elements go in chunks, one remote task per chunk; ``concurrency`` (default: twice
    the executor's workers) bounds the tasks in flight."""
    chunk_size: int | None
    """With ``executor=``: elements per remote task (default: sized so a task carries at least 100 ms of calls,
    from the time the first calls took)."""
    rate_limit: RateLimit | None
    """Take a token from this ``RateLimit`` before every call, retries included; one limiter given to several
    stages (or pipelines) limits their calls together."""
    rate_cost: Callable[[T], float] | None
    """With ``rate_limit=``: the tokens a call on this element costs (default 1)."""
    timeout: float | None
    """Seconds each call (each attempt) may take: one that takes longer raises ``TimeoutError`` inside the
    element, so ``retry=`` retries it and ``on_error="skip"`` skips it. For an ``async`` function, or with
    ``executor=`` (then ``concurrency`` is at most its workers); a plain call on the loop cannot be
    interrupted."""


OPTIONS = tuple(ElementOptions.__annotations__)
ON_ERROR = ("fail", "skip")


def is_async_callable(f: object) -> bool:
    """True for ``async def`` functions, partials of them and objects with an ``async def __call__``."""
    f = unwrap_partial(f)
    if inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f):
        return True
    call = getattr(f, "__call__", None)
    return call is not None and not inspect.isfunction(f) and inspect.iscoroutinefunction(call)


P = ParamSpec("P")
R = TypeVar("R")


def awaiting(f: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``f`` as an ``async def``: for a function typed as returning an ``Awaitable`` (an ``async def`` behind a
    decorator typed ``Callable[P, Awaitable[R]]``, a function returning a ``Future``). A stage over such a function
    is typed with ``Awaitable[R]`` elements, though the engine awaits each result and passes ``R`` on; wrapped,
    ``ts.map(ts.awaiting(f))`` has ``R`` elements, as the engine gives them."""
    check_callable("awaiting", "the function", f)

    @functools.wraps(f)
    async def awaited(*args: P.args, **kwargs: P.kwargs) -> R:
        return await f(*args, **kwargs)

    return awaited


@dataclass(frozen=True, slots=True)
class Settings:
    """An element stage's checked options."""

    name: str
    concurrency: int
    ordered: bool
    window: int
    guard: Guard | None
    remote: Remote | None = None
    limits: Limits | None = None

    def op(
        self,
        kind: str,
        f: Callable[..., Any],
        kernel: Callable[[Callable[[Any], Any]], Kernel],
        *,
        call: Callable[[Any], Any] | None = None,
        shape: Shape = Shape.ONE_TO_ONE,
    ) -> Op:
        """The stage: ``kernel`` made per run around ``call`` (what the engine calls; default ``f``)."""
        fn = call or f
        is_async = is_async_callable(fn)
        if self.remote is not None:
            if is_async or is_async_callable(f):
                raise TypeError(
                    f"{where(self.name)}: executor= runs a plain function on other threads, processes or machines; "
                    "this one is async: it runs on the event loop, give it concurrency= instead"
                )
            check_sendable(self.remote, fn, where(self.name))
        return Op(
            name=self.name,
            kind=kind,
            shape=shape,
            kernel=functools.partial(kernel, fn),
            is_async=is_async,
            remote=self.remote,
            concurrency=self.concurrency,
            ordered=self.ordered,
            window=self.window,
            guard=self.guard,
            fn=f,
            limits=self.limits,
        )


def settings(kind: str, f: object, options: ElementOptions[Any], catch: tuple[type[Exception], ...] = ()) -> Settings:
    """Check an element stage's function and options, naming the stage; ``catch`` turns failures into values."""
    name = stage_name(options.get("name"), f, kind)
    at = where(name)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError(f"{at}: unknown option {unknown[0]!r} (options: {', '.join(OPTIONS)})")
    check_callable(at, "the function", f)
    executor = options.get("executor")
    chunk_size = options.get("chunk_size")
    if chunk_size is not None:
        check_count(at, "chunk_size", chunk_size, minimum=1)
        if executor is None:
            raise ValueError(f"{at}: chunk_size= sizes the remote tasks of executor=; it needs executor=")
    on = None if executor is None else remote(executor, chunk_size, at)
    limits = _limits(at, f, options, on)
    concurrency = options.get("concurrency")
    timed = on is not None and limits is not None and limits.timeout is not None
    default = on.workers if timed and on is not None else _concurrency(on)
    concurrency = check_count(at, "concurrency", default if concurrency is None else concurrency, minimum=1)
    if timed and on is not None and concurrency > on.workers:
        raise ValueError(
            f"{at}: with timeout= and executor=, concurrency must be at most the executor's {on.workers} workers "
            f"(a call queued behind others would use up its time waiting), got {concurrency}"
        )
    ordered = options.get("ordered", True)
    if not isinstance(ordered, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
        fail(TypeError, at, "ordered", "a bool", ordered)
    window = options.get("window")
    window = check_count(at, "window", 32 * concurrency if window is None else window, minimum=concurrency)
    return Settings(name, concurrency, ordered, window, _guard(at, options, catch), on, limits)


def _limits(at: str, f: object, options: ElementOptions[Any], on: Remote | None) -> Limits | None:
    rate_limit = options.get("rate_limit")
    cost = options.get("rate_cost")
    timeout = options.get("timeout")
    if rate_limit is not None:
        check_instance(at, "rate_limit", rate_limit, RateLimit, "a RateLimit or None")
    if cost is not None:
        check_callable(at, "rate_cost", cost)
        if rate_limit is None:
            raise ValueError(f"{at}: rate_cost= is the tokens a call takes from rate_limit=; it needs rate_limit=")
    if timeout is not None:
        timeout = check_seconds(at, "timeout", timeout, finite=True)
        if on is None and not is_async_callable(f):
            raise ValueError(
                f"{at}: timeout= limits each call of an async function, or of one on executor=; a plain call on the "
                "event loop cannot be interrupted: make it async def, wrap a function that returns awaitables in "
                "ts.awaiting(f), or give the stage executor="
            )
    if on is not None and (rate_limit is not None or timeout is not None) and (on.chunk_size or 1) != 1:
        raise ValueError(
            f"{at}: with rate_limit= or timeout=, executor= sends one element per task (each call takes its token "
            f"and has its timeout); chunk_size must be 1 or left out, got {on.chunk_size}"
        )
    if rate_limit is None and timeout is None:
        return None
    return Limits(rate_limit, cost, timeout)


def _concurrency(on: Remote | None) -> int:
    return 1 if on is None else 2 * on.workers  # a task queued behind each running one keeps the workers busy


def default_concurrency(executor: object, at: str) -> int:
    """Calls (remote tasks) in flight when ``concurrency=`` is not given."""
    return _concurrency(None if executor is None else remote(executor, None, at))


def _guard(at: str, options: ElementOptions[Any], catch: tuple[type[Exception], ...]) -> Guard | None:
    retry = options.get("retry")
    if retry is not None:
        check_instance(at, "retry", retry, Retry, "a Retry or None")
    on_error = check_one_of(at, "on_error", options.get("on_error", "fail"), ON_ERROR)
    dead_letter = options.get("dead_letter")
    if dead_letter is not None:
        check_instance(at, "dead_letter", dead_letter, Sink, "a Sink")
        if on_error != "skip":
            raise ValueError(f"{at}: dead_letter= receives skipped elements; it needs on_error='skip'")
    if retry is None and on_error == "fail" and not catch:
        return None
    return Guard(retry=retry, skip=on_error == "skip", dead_letter=dead_letter, catch=catch)


def element(
    kind: str,
    f: Callable[..., Any],
    kernel: Callable[[Callable[[Any], Any]], Kernel],
    options: ElementOptions[Any],
    *,
    call: Callable[[Any], Any] | None = None,
    catch: tuple[type[Exception], ...] = (),
) -> Op:
    """An element stage of one-to-one shape: checked ``options``, ``kernel`` around ``call`` (default ``f``)."""
    return settings(kind, f, options, catch).op(kind, f, kernel, call=call)


# -- the operators --------------------------------------------------------------------------------------------


def map(f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    return element("map", f, Kernel, options)


class FilterKernel(Kernel):
    __slots__ = ()

    def __init__(self, fn: Callable[[Any], Any] | None = None) -> None:
        super().__init__(fn)
        self.selects = True

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return list(_compress(chunk, results))


def filter(pred: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    return element("filter", pred, FilterKernel, options)


def _is_not_none(x: object) -> bool:
    return x is not None


def not_none() -> Op:
    return Op(name="not_none", kind="not_none", kernel=functools.partial(FilterKernel, _is_not_none))


class TapKernel(Kernel):
    __slots__ = ()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return chunk


def tap(f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    return element("tap", f, TapKernel, options)


class TakeWhileKernel(Kernel):
    __slots__ = ()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        for i, keep in enumerate(results):
            if not keep:
                self.done = True
                return chunk[:i]
        return chunk


def take_while(pred: Callable[[Any], Any], name: str | None) -> Op:
    return element("take_while", pred, TakeWhileKernel, {"name": name})


class FlatMapKernel(Kernel):
    """``fn`` already returns a list per element (the inner iterable is drained inside the element call)."""

    __slots__ = ()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return list(_chain(results))


def flat_map(f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    s = settings("flat_map", f, options)
    if s.remote is not None:
        return s.op("flat_map", f, FlatMapKernel, call=DrainList(f), shape=Shape.RESHAPING)
    if s.concurrency == 1 and s.guard is None and s.limits is None:
        # Inner iterables are streamed, never drained whole: they may be huge or endless.
        return Op(name=s.name, kind="flat_map", shape=Shape.RESHAPING, pull=functools.partial(_flat_map, f), fn=f)
    # Concurrent or guarded calls each drain their inner iterable into a list inside the call, so a retry or a
    # skip covers the element's whole output: nothing is emitted twice or half.
    return s.op("flat_map", f, FlatMapKernel, call=_drainer(f), shape=Shape.RESHAPING)


def _is_async_iterable(x: object) -> TypeIs[AsyncIterable[Any]]:
    return isinstance(x, AsyncIterable)


class DrainList:
    """``flat_map``'s call on an executor: the element's outputs as a list (picklable if ``f`` is)."""

    __slots__ = ("f",)

    def __init__(self, f: Callable[[Any], Any]) -> None:
        self.f = f

    def __call__(self, x: Any) -> list[Any]:
        return list(self.f(x))


def _drainer(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def drain(x: Any) -> list[Any]:
        inner = f(x)
        if inspect.isawaitable(inner):
            inner = await inner
        if _is_async_iterable(inner):
            it = aiter(inner)
            try:
                return [y async for y in it]
            finally:  # an inner async generator abandoned by an error or cancellation is closed here
                await aclose_iterator(it)
        return list(inner)

    return drain


async def _flat_map(f: Callable[[Any], Any], inputs: list[Chunks], st: StageContext) -> Chunks:
    """flat_map at concurrency 1: inner iterables are read lazily, at most one chunk ahead.

    Outputs gather into chunks of up to MAX_CHUNK; an async inner iterable passes each element on as it comes.
    A failure (in f or inside an inner iterable) is raised after the outputs of the elements before it.
    """
    out: list[Any] = []
    async for chunk in inputs[0]:
        for x in chunk:
            called = False
            try:
                inner = await st.call(f, x)  # a failure of f is counted and noted there
                called = True
                if hasattr(inner, "__aiter__"):
                    ait = aiter(cast("AsyncIterable[Any]", inner))
                    try:
                        async for y in ait:
                            out.append(y)
                            yield out
                            out = []
                    finally:
                        await aclose_iterator(ait)
                    continue
                it = iter(inner)
                try:
                    while True:
                        room = MAX_CHUNK - len(out)
                        before = len(out)
                        out.extend(itertools.islice(it, room))  # keeps what it got before a failure
                        if len(out) - before < room:
                            break  # inner exhausted
                        yield out
                        out = []
                finally:
                    close_iterator(it)
            except Exception as e:
                if called:  # a failure inside the inner iterable
                    st.failure(e, x)
                if out:
                    pending = out
                    out = []
                    yield pending
                raise
        if out:
            yield out
            out = []
