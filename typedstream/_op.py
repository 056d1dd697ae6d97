"""Operator descriptions: small declarative values that the engine compiles.

Every public operator (free function or method) builds one ``Op`` through the constructors here, so option
checking happens once, when the pipeline is built, and names the stage and the option.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast

from returns.primitives.exceptions import UnwrapFailedError
from returns.result import Failure, Result, Success
from typing_extensions import TypedDict, Unpack

from . import _kernels as k
from ._errors import DeadLetter
from ._retry import Retry
from ._sink import Sink

if TYPE_CHECKING:
    from ._runtime import Run, Stage

__all__ = ["ElementOptions", "Guard", "Op", "Origin"]

Chunks = AsyncIterator[list[Any]]
T = TypeVar("T")


class ElementOptions(TypedDict, Generic[T], total=False):
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


ON_ERROR = ("fail", "skip")


@dataclass(frozen=True, slots=True)
class Guard:
    """What the engine does when a stage's function raises: retry, catch into ``Failure``, skip or fail."""

    retry: Retry | None = None
    skip: bool = False
    dead_letter: Sink[Any, object] | None = None
    catch: tuple[type[Exception], ...] = ()  # try_map: exceptions that become Failure values


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One stage. Either an element/chunk kernel (``start``) or a custom async stage (``open``)."""

    name: str
    kind: str
    start: Callable[[], k.Kernel] | None = None
    is_async: bool = False
    concurrency: int = 1
    ordered: bool = True
    window: int = 0
    open: Callable[[Chunks, Run, Stage], Chunks] | None = None
    sources: tuple[Any, ...] = ()  # other Sources this stage reads (merge, zip, concat)
    options: dict[str, Any] = field(default_factory=dict[str, Any])
    guard: Guard | None = None  # None: a failure ends the run (the fast path carries nothing)
    fn: Callable[..., Any] | None = None  # the user's function (its annotations show in graphs)

    @property
    def fusable(self) -> bool:
        return self.start is not None and not self.is_async and self.concurrency == 1


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a Source's elements come from."""

    kind: str  # "iterable" | "aiterable" | "chunks"
    items: Any
    chunk_size: int | None = None


def is_async_callable(f: object) -> bool:
    """True for ``async def`` functions, partials of them and objects with an ``async def __call__``."""
    while isinstance(f, functools.partial):
        f = f.func
    if inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f):
        return True
    call = getattr(f, "__call__", None)
    return call is not None and not inspect.isfunction(f) and inspect.iscoroutinefunction(call)


def is_asyncgen_callable(f: object) -> bool:
    while isinstance(f, functools.partial):
        f = f.func
    return inspect.isasyncgenfunction(f)


def stage_name(given: str | None, f: object, default: str) -> str:
    if given is not None:
        if not isinstance(given, str) or not given:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"{default}: name= must be a non-empty str, got {given!r}")
        return given
    while isinstance(f, functools.partial):
        f = f.func
    name = getattr(f, "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        return default
    return name


def check_callable(stage: str, what: str, f: object) -> None:
    if not callable(f):
        raise TypeError(f"stage {stage!r}: {what} must be callable, got {type(f).__name__} {f!r}")


def check_count(stage: str, option: str, value: object, *, minimum: int) -> int:
    # bool is an int subclass; concurrency=True is almost certainly a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"stage {stage!r}: {option} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"stage {stage!r}: {option} must be >= {minimum}, got {value}")
    return value


def check_seconds(stage: str, option: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"stage {stage!r}: {option} must be a number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or value != value:
        raise ValueError(f"stage {stage!r}: {option} must be a positive number of seconds, got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------------------------- element ops


def element(
    kind: str,
    f: Callable[..., Any],
    *,
    call: Callable[[Any], Any] | None = None,
    catch: tuple[type[Exception], ...] = (),
    kernel: Callable[[Callable[[Any], Any]], k.Kernel] | None = None,
    **options: Unpack[ElementOptions[Any]],
) -> Op:
    """map / filter / flat_map / tap / take_while / try_map and the Result operators: one call per element.

    ``f`` is the user's function (it names the stage); ``call`` is what the engine calls, when it wraps ``f``.
    """
    stage = stage_name(options.get("name"), f, kind)
    unknown = sorted(set(options) - set(ElementOptions.__annotations__))
    if unknown:
        raise TypeError(f"stage {stage!r}: unknown option {unknown[0]!r} (options: {', '.join(ElementOptions.__annotations__)})")
    concurrency = options.get("concurrency", 1)
    ordered = options.get("ordered", True)
    window = options.get("window")
    check_callable(stage, "the function", f)
    check_count(stage, "concurrency", concurrency, minimum=1)
    if not isinstance(ordered, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"stage {stage!r}: ordered must be a bool, got {ordered!r}")
    if window is None:
        window = 32 * concurrency
    check_count(stage, "window", window, minimum=concurrency)
    guard = _guard(stage, options, catch)
    fn: Callable[[Any], Any] = call or f
    is_async = is_async_callable(fn)
    if kind == "flat_map":
        if concurrency == 1 and guard is None:
            # Inner iterables are streamed, never drained whole: they may be huge or endless.
            from ._runtime import open_flat_map

            return Op(name=stage, kind=kind, open=open_flat_map, fn=f)
        # Concurrent or guarded calls each drain their inner iterable into a list inside the call, so a retry
        # or a skip covers the element's whole output: nothing is emitted twice or half.
        fn, is_async = _drainer(f), True
    return Op(
        name=stage,
        kind=kind,
        start=functools.partial(kernel or _ELEMENT_KERNELS[kind], fn),
        is_async=is_async,
        concurrency=concurrency,
        ordered=ordered,
        window=window,
        guard=guard,
        fn=f,
    )


def _guard(stage: str, options: ElementOptions[Any], catch: tuple[type[Exception], ...]) -> Guard | None:
    retry = options.get("retry")
    on_error = options.get("on_error", "fail")
    dead_letter = options.get("dead_letter")
    if retry is not None and not isinstance(retry, Retry):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"stage {stage!r}: retry must be a Retry or None, got {type(retry).__name__} {retry!r}")
    if on_error not in ON_ERROR:
        raise ValueError(f"stage {stage!r}: on_error must be one of {', '.join(map(repr, ON_ERROR))}, got {on_error!r}")
    if dead_letter is not None:
        if not isinstance(dead_letter, Sink):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"stage {stage!r}: dead_letter must be a Sink, got {type(dead_letter).__name__} {dead_letter!r}")
        if on_error != "skip":
            raise ValueError(f"stage {stage!r}: dead_letter= receives skipped elements; it needs on_error='skip'")
    if retry is None and on_error == "fail" and not catch:
        return None
    return Guard(retry=retry, skip=on_error == "skip", dead_letter=dead_letter, catch=catch)


def check_catch(stage: str, catch: object) -> tuple[type[Exception], ...]:
    classes = cast("tuple[object, ...]", catch) if isinstance(catch, tuple) else (catch,)
    if not classes:
        raise TypeError(f"stage {stage!r}: catch must name at least one exception class")
    for c in classes:
        if not (isinstance(c, type) and issubclass(c, Exception)):
            raise TypeError(
                f"stage {stage!r}: catch must be Exception subclasses (cancellation is never caught), got {c!r}"
            )
    return cast("tuple[type[Exception], ...]", classes)


_ELEMENT_KERNELS: dict[str, type[k.Kernel]] = {
    "map": k.Kernel,
    "try_map": k.TryMapKernel,
    "map_ok": k.Kernel,
    "bind": k.Kernel,
    "recover": k.Kernel,
    "filter": k.FilterKernel,
    "tap": k.TapKernel,
    "flat_map": k.FlatMapKernel,
    "take_while": k.TakeWhileKernel,
}


async def _drain_async(items: AsyncIterable[Any]) -> list[Any]:
    from ._runtime import aclose_iterator

    it = aiter(items)
    try:
        return [x async for x in it]
    finally:
        # An inner async generator abandoned by an error or cancellation is closed here, not by the GC.
        await aclose_iterator(it)


def _drainer(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    async def drain(x: Any) -> list[Any]:
        inner = f(x)
        if inspect.isawaitable(inner):
            inner = await inner
        if isinstance(inner, AsyncIterable):
            return await _drain_async(inner)  # pyright: ignore[reportUnknownArgumentType]
        return list(inner)

    return drain


# ------------------------------------------------------------------------------------------------ chunk ops


def take(n: int) -> Op:
    check_count("take", "n", n, minimum=0)
    return Op(name="take", kind="take", start=functools.partial(k.TakeKernel, n), options={"n": n})


def skip(n: int) -> Op:
    check_count("skip", "n", n, minimum=0)
    return Op(name="skip", kind="skip", start=functools.partial(k.SkipKernel, n), options={"n": n})


def batch(n: int) -> Op:
    check_count("batch", "n", n, minimum=1)
    return Op(name="batch", kind="batch", start=functools.partial(k.BatchKernel, n), options={"n": n})


def flatten() -> Op:
    return Op(name="flatten", kind="flatten", start=k.FlattenKernel)


def distinct(key: Callable[[Any], Hashable] | None, name: str | None) -> Op:
    stage = stage_name(name, key, "distinct") if key is not None else (name or "distinct")
    if key is not None:
        check_callable(stage, "key", key)
    return Op(name=stage, kind="distinct", start=functools.partial(k.DistinctKernel, key))


def scan(init: Any, f: Callable[[Any, Any], Any], name: str | None) -> Op:
    stage = stage_name(name, f, "scan")
    check_callable(stage, "the function", f)
    return Op(name=stage, kind="scan", start=functools.partial(k.scan_kernel, init, f))


def stateful_map(init: Any, f: Callable[[Any, Any], tuple[Any, Any]], name: str | None) -> Op:
    stage = stage_name(name, f, "stateful_map")
    check_callable(stage, "the function", f)
    return Op(name=stage, kind="stateful_map", start=functools.partial(k.stateful_map_kernel, init, f))


# ------------------------------------------------------------------------------------------------ async ops


def buffer(n: int) -> Op:
    from ._runtime import open_buffer

    check_count("buffer", "n", n, minimum=1)
    return Op(name="buffer", kind="buffer", open=open_buffer, options={"n": n})


def batch_within(n: int, seconds: float) -> Op:
    from ._runtime import open_batch_within

    check_count("batch_within", "n", n, minimum=1)
    secs = check_seconds("batch_within", "seconds", seconds)
    return Op(name="batch_within", kind="batch_within", open=open_batch_within, options={"n": n, "seconds": secs})


def timeout(seconds: float) -> Op:
    from ._runtime import open_timeout

    secs = check_seconds("timeout", "seconds", seconds)
    return Op(name="timeout", kind="timeout", open=open_timeout, options={"seconds": secs})


def throttle(rate: int, per: float) -> Op:
    from ._runtime import open_throttle

    check_count("throttle", "rate", rate, minimum=1)
    secs = check_seconds("throttle", "per", per)
    return Op(name="throttle", kind="throttle", open=open_throttle, options={"rate": rate, "per": secs})


def combine(kind: str, sources: tuple[Any, ...]) -> Op:
    """merge / concat / zip of the upstream with other Sources."""
    from . import _runtime
    from ._source import Source

    for s in sources:
        if not isinstance(s, Source):
            raise TypeError(f"{kind}: expected Source arguments, got {type(s).__name__} {s!r}")
    opener = {"merge": _runtime.open_merge, "concat": _runtime.open_concat, "zip": _runtime.open_zip}[kind]
    return Op(name=kind, kind=kind, open=opener, sources=sources)


def origin_of(items: Iterable[Any] | AsyncIterable[Any], chunk_size: int | None) -> Origin:
    if chunk_size is not None:
        check_count("source", "chunk_size", chunk_size, minimum=1)
    if isinstance(items, AsyncIterable):
        return Origin("aiterable", items, chunk_size)
    if isinstance(items, Iterable):  # pyright: ignore[reportUnnecessaryIsInstance]
        return Origin("iterable", items, chunk_size)
    raise TypeError(f"source: expected an Iterable or AsyncIterable, got {type(items).__name__} {items!r}")


# ----------------------------------------------------------------------------------------------- Result ops


def _not_result(r: object) -> TypeError:
    return TypeError(f"expected a returns Result (Success or Failure) element, got {type(r).__name__} {r!r}")


def _checked(stage: str, out: object) -> object:
    if isinstance(out, Result):
        return cast(object, out)
    if inspect.isawaitable(out):
        return _then_check(stage, out)
    raise TypeError(f"stage {stage!r}: the function must return a Result, got {type(out).__name__} {out!r}")


async def _then_check(stage: str, out: Awaitable[object]) -> object:
    return _checked(stage, await out)


def _success(value: object) -> object:
    return Success(value)


async def _then_wrap(out: Awaitable[object]) -> object:
    return _success(await out)


def _side(r: object) -> tuple[bool, object]:
    """(True, value) for a Success, (False, error) for a Failure; anything else is a TypeError."""
    if isinstance(r, Success):
        return True, cast("Success[object]", r).unwrap()
    if isinstance(r, Failure):
        return False, cast("Failure[object]", r).failure()
    raise _not_result(r)


def side_call(kind: str, stage: str, f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """What the engine calls for map_ok / bind / recover: ``f`` on one side of the Result, the other passes."""
    wanted = kind != "recover"  # map_ok and bind see the value; recover sees the error
    if is_async_callable(f):

        async def call_async(r: object) -> object:
            ok, inner = _side(r)
            if ok != wanted:
                return r
            out = await f(inner)
            return _success(out) if kind == "map_ok" else _checked(stage, out)

        return call_async

    def call(r: object) -> object:
        ok, inner = _side(r)
        if ok != wanted:
            return r
        out = f(inner)
        if kind == "map_ok":
            # A plain callable may return an awaitable; the engine awaits what this returns.
            return _then_wrap(out) if inspect.isawaitable(out) else _success(out)
        return _checked(stage, out)

    return call


def result_element(kind: str, f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    """map_ok / bind / recover: element operators whose function sees one side of each Result."""
    stage = stage_name(options.get("name"), f, kind)
    check_callable(stage, "the function", f)
    options["name"] = stage
    return element(kind, f, call=side_call(kind, stage, f), **options)


def _is_success(r: object) -> bool:
    return _side(r)[0]


def _unwrap(r: object) -> object:
    ok, inner = _side(r)
    if ok:
        return inner
    if isinstance(inner, BaseException):
        raise inner  # the original exception, as if it had never been caught
    raise UnwrapFailedError(cast("Failure[object]", r))


def successes() -> Op:
    return Op(name="successes", kind="successes", start=functools.partial(k.SuccessesKernel, _is_success))


def failures() -> Op:
    return Op(name="failures", kind="failures", start=functools.partial(k.FailuresKernel, _is_success))


def unwrap() -> Op:
    return Op(name="unwrap", kind="unwrap", start=functools.partial(k.Kernel, _unwrap))


def try_map(f: Callable[[Any], Any], catch: object, **options: Unpack[ElementOptions[Any]]) -> Op:
    stage = stage_name(options.get("name"), f, "try_map")
    return element("try_map", f, catch=check_catch(stage, catch), **options)
