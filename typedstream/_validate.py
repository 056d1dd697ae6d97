"""Every build-time check, with one message style: ``{where}: {option} must be {rule}, got {type} {value!r}``.

``where`` names what is being built (``stage 'parse'``, ``Retry``, ``pipeline 'orders', step 'price'``, ``run
options``), so an error always says which stage and which option are wrong. A ``bool`` is an ``int`` to Python;
it is rejected as a count (a type mistake) and as a number of seconds (never meant as a duration).
"""

from __future__ import annotations

import functools
import math
from typing import Any, NoReturn, TypeVar, cast

from typing_extensions import TypeIs

__all__ = [
    "check_callable",
    "check_count",
    "check_exceptions",
    "check_fraction",
    "check_instance",
    "check_name",
    "check_one_of",
    "check_seconds",
    "fail",
    "stage_name",
    "unwrap_partial",
    "where",
]

T = TypeVar("T")


def got(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def fail(error: type[Exception], where: str, option: str, rule: str, value: object) -> NoReturn:
    raise error(f"{where}: {option} must be {rule}, got {got(value)}")


def check_count(where: str, option: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(TypeError, where, option, "an int", value)
    if value < minimum:
        raise ValueError(f"{where}: {option} must be >= {minimum}, got {value}")
    return value


def check_seconds(where: str, option: str, value: object, *, allow_zero: bool = False, finite: bool = False) -> float:
    """A duration: positive (or ``>= 0`` with ``allow_zero``), never NaN; infinite unless ``finite``."""
    rule = ">= 0 (seconds)" if allow_zero else "a positive number of seconds"
    if not isinstance(value, (int, float)):
        fail(TypeError, where, option, "a number of seconds", value)
    if (
        isinstance(value, bool)
        or math.isnan(value)
        or value < 0
        or (value == 0 and not allow_zero)
        or (finite and math.isinf(value))
    ):
        fail(ValueError, where, option, rule, value)
    return float(value)


def check_fraction(where: str, option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(TypeError, where, option, "a number between 0 and 1", value)
    if not 0 <= value <= 1:
        fail(ValueError, where, option, "between 0 and 1", value)
    return float(value)


def check_callable(where: str, what: str, f: object) -> None:
    if not callable(f):
        fail(TypeError, where, what, "callable", f)


def check_instance(where: str, option: str, value: object, cls: type[T], rule: str) -> T:
    if not isinstance(value, cls):
        fail(TypeError, where, option, rule, value)
    return value


def check_one_of(where: str, option: str, value: object, allowed: tuple[str, ...]) -> str:
    for choice in allowed:
        if value == choice:
            return choice
    raise ValueError(f"{where}: {option} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def check_name(where: str, option: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        fail(TypeError, where, option, "a non-empty str", value)
    return value


def check_exceptions(where: str, option: str, value: object, *, never: str, tuple_only: bool = False) -> tuple[type[Exception], ...]:
    """Exception classes (a class or a tuple of them; only a tuple with ``tuple_only``). ``never`` says what is
    never done to a cancellation, which is not an ``Exception``: "retried", "caught"."""
    given = value  # as given, for the message: ``value`` is narrowed below
    if tuple_only and not isinstance(value, tuple):
        fail(TypeError, where, option, "a non-empty tuple of exception classes", given)
    classes: tuple[object, ...] = cast("tuple[object, ...]", value) if isinstance(value, tuple) else (value,)
    if not classes:
        fail(TypeError, where, option, "a non-empty tuple of exception classes", given)
    for c in classes:
        if not _is_exception_class(c):
            fail(TypeError, where, option, f"Exception subclasses (cancellation is never {never})", c)
    return cast("tuple[type[Exception], ...]", classes)


def stage_name(given: object, f: object, default: str) -> str:
    """``name=`` if given (checked), else the function's name, else ``default`` (a lambda has no useful name)."""
    if given is not None:
        return check_name(f"stage {default!r}", "name", given)
    name: object = getattr(unwrap_partial(f), "__name__", None)
    if not isinstance(name, str) or name == "<lambda>":
        return default
    return name


def _is_exception_class(c: object) -> TypeIs[type[Exception]]:
    return isinstance(c, type) and issubclass(c, Exception)


def _is_partial(f: object) -> TypeIs[functools.partial[Any]]:
    return isinstance(f, functools.partial)


def unwrap_partial(f: object) -> object:
    """The function a (nested) ``functools.partial`` calls; ``f`` itself otherwise."""
    while _is_partial(f):
        f = f.func
    return f


def where(stage: str) -> str:
    """How messages name a stage."""
    return f"stage {stage!r}"
