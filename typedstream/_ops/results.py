"""Errors as values: ``try_map`` makes ``returns`` ``Result`` elements; ``map_ok``, ``bind`` and ``recover`` call a
function on one side of each ``Result``; ``successes``, ``failures`` and ``unwrap`` take the sides apart.

They are ordinary element stages (they fuse, take ``concurrency=`` and the error options): the engine's guard
catches into ``Caught`` values, which ``try_map``'s kernel turns into ``Failure``s.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, cast

from returns.primitives.exceptions import UnwrapFailedError
from returns.result import Failure, Result, Success
from typing_extensions import Unpack, override

from .._engine import Caught, Kernel, Op
from .._validate import check_callable, check_exceptions, stage_name, where
from .element import ElementOptions, element, is_async_callable

__all__ = ["bind", "failures", "map_ok", "recover", "side_call", "successes", "try_map", "unwrap"]


class TryMapKernel(Kernel):
    __slots__ = ()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return [Failure(r.error) if r.__class__ is Caught else Success(r) for r in results]


def try_map(f: Callable[[Any], Any], catch: object, **options: Unpack[ElementOptions[Any]]) -> Op:
    at = where(stage_name(options.get("name"), f, "try_map"))
    return element("try_map", f, TryMapKernel, options, catch=check_exceptions(at, "catch", catch, never="caught"))


# -- one side of each Result ----------------------------------------------------------------------------------


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


def side_call(stage: str, f: Callable[[Any], Any], *, on_value: bool, returns_result: bool) -> Callable[[Any], Any]:
    """What the engine calls for ``map_ok``, ``bind`` and ``recover``: ``f`` on the value (``on_value``) or the
    error of each ``Result``, the other side passing unchanged. ``f`` returns a plain value to wrap in
    ``Success`` or (``returns_result``) a ``Result``, which is checked."""
    if is_async_callable(f):

        async def call_async(r: object) -> object:
            ok, inner = _side(r)
            if ok != on_value:
                return r
            out = await f(inner)
            return _checked(stage, out) if returns_result else _success(out)

        return call_async

    return SideCall(stage, f, on_value, returns_result)


class SideCall:
    """The synchronous call of ``side_call``: a class, so it can be sent to worker processes with ``f``."""

    __slots__ = ("stage", "f", "on_value", "returns_result")

    def __init__(self, stage: str, f: Callable[[Any], Any], on_value: bool, returns_result: bool) -> None:
        self.stage = stage
        self.f = f
        self.on_value = on_value
        self.returns_result = returns_result

    def __call__(self, r: object) -> object:
        ok, inner = _side(r)
        if ok != self.on_value:
            return r
        out = self.f(inner)
        if self.returns_result:
            return _checked(self.stage, out)
        # A plain callable may return an awaitable; the engine awaits what this returns.
        return _then_wrap(out) if inspect.isawaitable(out) else _success(out)


def _one_side(kind: str, f: Callable[[Any], Any], options: ElementOptions[Any], *, on_value: bool, returns_result: bool) -> Op:
    name = stage_name(options.get("name"), f, kind)
    check_callable(where(name), "the function", f)
    call = side_call(name, f, on_value=on_value, returns_result=returns_result)
    return element(kind, f, Kernel, {**options, "name": name}, call=call)


def map_ok(f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    return _one_side("map_ok", f, options, on_value=True, returns_result=False)


def bind(f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    return _one_side("bind", f, options, on_value=True, returns_result=True)


def recover(f: Callable[[Any], Any], **options: Unpack[ElementOptions[Any]]) -> Op:
    return _one_side("recover", f, options, on_value=False, returns_result=True)


# -- taking the sides apart -----------------------------------------------------------------------------------


def _is_success(r: object) -> bool:
    return _side(r)[0]


class SuccessesKernel(Kernel):
    """``fn`` tells a Success (True) from a Failure (False) and rejects anything else."""

    __slots__ = ()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return [r.unwrap() for r, ok in zip(chunk, results) if ok]


class FailuresKernel(Kernel):
    __slots__ = ()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return [r.failure() for r, ok in zip(chunk, results) if not ok]


def _unwrap(r: object) -> object:
    ok, inner = _side(r)
    if ok:
        return inner
    if isinstance(inner, BaseException):
        raise inner  # the original exception, as if it had never been caught
    raise UnwrapFailedError(cast("Failure[object]", r))


def successes() -> Op:
    return Op(name="successes", kind="successes", kernel=functools.partial(SuccessesKernel, _is_success))


def failures() -> Op:
    return Op(name="failures", kind="failures", kernel=functools.partial(FailuresKernel, _is_success))


def unwrap() -> Op:
    return Op(name="unwrap", kind="unwrap", kernel=functools.partial(Kernel, _unwrap))
