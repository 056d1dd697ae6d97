"""Free-function forms of the operators.

Stages whose output type follows from their function (``map``, ``filter``, ...) return a ``Stream``; ``of=T``
fixes the input type for a lambda. Stages whose output type depends only on the left operand (``take``,
``batch``, ``flatten``, ...) return small objects whose overloaded ``__ror__`` solves the element type from the
``Source`` or ``Stream`` on their left, and whose ``__or__`` composes with a following ``Stream``.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Coroutine, Hashable, Iterable
from typing import Any, Generic, TypeGuard, TypeVar, cast, overload

from returns.result import Result

from typing_extensions import TypeIs, Unpack

from . import _op
from ._op import ElementOptions as ElementOptions
from ._op import Op
from ._source import Source
from ._stream import Stream

__all__ = [
    "BindStage",
    "ErrorsStage",
    "MapOkStage",
    "RecoverStage",
    "ValuesStage",
    "bind",
    "failures",
    "map_ok",
    "recover",
    "successes",
    "try_map",
    "unwrap",
    "batch",
    "batch_within",
    "buffer",
    "DistinctStage",
    "concat",
    "distinct",
    "filter",
    "flat_map",
    "flatten",
    "map",
    "merge",
    "scan",
    "skip",
    "stateful_map",
    "take",
    "take_while",
    "tap",
    "throttle",
    "timeout",
    "zip",
]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
D = TypeVar("D")
N = TypeVar("N")
S = TypeVar("S")
T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
E = TypeVar("E")
E2 = TypeVar("E2")
Ex = TypeVar("Ex", bound=Exception)
Ex2 = TypeVar("Ex2", bound=Exception)


def _stage(op: Op) -> Stream[Any, Any]:
    return Stream((op,))


def _is_chain(x: object) -> bool:
    return isinstance(x, (Source, Stream))


class _StageObject:
    """Shared plumbing of the stage objects: a tuple of ops attached to whatever is on the left."""

    __slots__ = ("_ops",)

    def __init__(self, *ops: Op) -> None:
        self._ops = ops

    def _attach(self, left: object) -> Any:
        if not _is_chain(left):
            return NotImplemented
        chain: Any = left
        for op in self._ops:
            chain = chain._then(op)
        return chain

    def _then(self, other: object, result: type[_StageObject] | None) -> Any:
        if isinstance(other, _StageObject):
            assert result is not None
            return result(*self._ops, *other._ops)
        if _is_chain(other) and not isinstance(other, Source):
            later: Any = other
            return Stream[Any, Any](self._ops + later._ops)
        return NotImplemented

    def __repr__(self) -> str:
        return f"<stage {' | '.join(op.name for op in self._ops)}>"


class SameStage(_StageObject):
    """Stages that keep the element type: ``take``, ``skip``, ``buffer``, ``timeout``, ``throttle``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[T]) -> Source[T]: ...
    @overload
    def __ror__(self, left: Stream[A, T]) -> Stream[A, T]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)

    @overload
    def __or__(self, other: SameStage) -> SameStage: ...
    @overload
    def __or__(self, other: BatchStage) -> BatchStage: ...
    @overload
    def __or__(self, other: Stream[T, N]) -> Stream[T, N]: ...
    def __or__(self, other: object) -> Any:
        return self._then(other, BatchStage if isinstance(other, BatchStage) else SameStage)


class DistinctStage(_StageObject):
    """``distinct()`` without a key: keeps the element type, which must be hashable."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[H]) -> Source[H]: ...
    @overload
    def __ror__(self, left: Stream[A, H]) -> Stream[A, H]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)

    @overload
    def __or__(self, other: SameStage) -> DistinctStage: ...
    @overload
    def __or__(self, other: Stream[H, N]) -> Stream[H, N]: ...
    def __or__(self, other: object) -> Any:
        return self._then(other, DistinctStage)


class BatchStage(_StageObject):
    """Stages from ``T`` to ``list[T]``: ``batch``, ``batch_within`` (and what a SameStage adds to them)."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[T]) -> Source[list[T]]: ...
    @overload
    def __ror__(self, left: Stream[A, T]) -> Stream[A, list[T]]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)

    @overload
    def __or__(self, other: SameStage) -> BatchStage: ...
    @overload
    def __or__(self, other: FlattenStage) -> SameStage: ...
    @overload
    def __or__(self, other: Stream[list[T], N]) -> Stream[T, N]: ...
    def __or__(self, other: object) -> Any:
        return self._then(other, SameStage if isinstance(other, FlattenStage) else BatchStage)


class FlattenStage(_StageObject):
    """A stage from ``Iterable[T]`` to ``T``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[Iterable[T]]) -> Source[T]: ...
    @overload
    def __ror__(self, left: Stream[A, Iterable[T]]) -> Stream[A, T]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)

    @overload
    def __or__(self, other: SameStage) -> FlattenStage: ...
    @overload
    def __or__(self, other: Stream[T, N]) -> Stream[Iterable[T], N]: ...
    def __or__(self, other: object) -> Any:
        return self._then(other, FlattenStage)


class MapOkStage(_StageObject, Generic[A, B]):
    """``map_ok(f)``: ``Result[A, E]`` to ``Result[B, E]``, the error type taken from the left operand."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[Result[A, E]]) -> Source[Result[B, E]]: ...
    @overload
    def __ror__(self, left: Stream[S, Result[A, E]]) -> Stream[S, Result[B, E]]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)


class BindStage(_StageObject, Generic[A, B, E2]):
    """``bind(f)``: ``Result[A, E]`` to ``Result[B, E | E2]``: the error union grows."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[Result[A, E]]) -> Source[Result[B, E | E2]]: ...
    @overload
    def __ror__(self, left: Stream[S, Result[A, E]]) -> Stream[S, Result[B, E | E2]]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)


class RecoverStage(_StageObject, Generic[E, B, E2]):
    """``recover(f)``: ``Result[A, E]`` to ``Result[A | B, E2]``, where ``f: E -> Result[B, E2]``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[Result[A, E]]) -> Source[Result[A | B, E2]]: ...
    @overload
    def __ror__(self, left: Stream[S, Result[A, E]]) -> Stream[S, Result[A | B, E2]]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)


class ValuesStage(_StageObject):
    """``successes()`` and ``unwrap()``: ``Result[A, E]`` to ``A``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[Result[A, E]]) -> Source[A]: ...
    @overload
    def __ror__(self, left: Stream[S, Result[A, E]]) -> Stream[S, A]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)


class ErrorsStage(_StageObject):
    """``failures()``: ``Result[A, E]`` to ``E``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[Result[A, E]]) -> Source[E]: ...
    @overload
    def __ror__(self, left: Stream[S, Result[A, E]]) -> Stream[S, E]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any]) -> Any:
        return self._attach(left)



# -- element operators ---------------------------------------------------------------------------------------


@overload
def map(
    f: Callable[[A], Coroutine[Any, Any, B]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
@overload
def map(
    f: Callable[[A], B],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
def map(
    f: Callable[[A], Any],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Any]:
    """Apply ``f`` (sync or async) to each element; ``concurrency=n`` runs up to n calls at once, keeping input
    order unless ``ordered=False``; ``window`` bounds how far ahead of the slowest pending element work goes."""
    return _stage(_op.element("map", f, **options))


@overload
def filter(
    pred: Callable[[A], TypeIs[B]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
@overload
def filter(
    pred: Callable[[A], TypeGuard[B]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
@overload
def filter(
    pred: Callable[[A], object],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, A]: ...
def filter(
    pred: Callable[[A], object],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Any]:
    """Keep the elements for which ``pred`` (sync or async) is truthy. A ``TypeIs``/``TypeGuard`` predicate
    narrows the element type (``filter(is_order)`` turns ``Order | None`` into ``Order``)."""
    return _stage(_op.element("filter", pred, **options))


@overload
def flat_map(
    f: Callable[[A], Coroutine[Any, Any, Iterable[B]]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
@overload
def flat_map(
    f: Callable[[A], AsyncIterable[B]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
@overload
def flat_map(
    f: Callable[[A], Iterable[B]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, B]: ...
def flat_map(
    f: Callable[[A], Any],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Any]:
    """Replace each element by the elements of the iterable or async iterable ``f`` returns."""
    return _stage(_op.element("flat_map", f, **options))


def tap(
    f: Callable[[A], object],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, A]:
    """Call ``f`` (sync or async) on each element for its effect; pass the element on."""
    return _stage(_op.element("tap", f, **options))


def take_while(pred: Callable[[A], object], *, of: type[A] | None = None, name: str | None = None) -> Stream[A, A]:
    """Pass elements until the first for which ``pred`` is falsy (that one is not emitted), then stop."""
    return _stage(_op.element("take_while", pred, name=name))


def scan(init: S, f: Callable[[S, A], S], *, of: type[A] | None = None, name: str | None = None) -> Stream[A, S]:
    """Emit ``f(acc, x)`` for each element, starting from ``init`` (which is not emitted)."""
    return _stage(_op.scan(init, f, name))


@overload
def stateful_map(
    init: Callable[[], S], f: Callable[[S, A], tuple[S, B]], *, of: type[A] | None = None, name: str | None = None
) -> Stream[A, B]: ...
@overload
def stateful_map(
    init: S, f: Callable[[S, A], tuple[S, B]], *, of: type[A] | None = None, name: str | None = None
) -> Stream[A, B]: ...
def stateful_map(
    init: Any, f: Callable[[Any, A], tuple[Any, B]], *, of: type[A] | None = None, name: str | None = None
) -> Stream[A, B]:
    """``f(state, x)`` returns ``(new_state, output)``; a callable ``init`` is a factory, called once per run."""
    return _stage(_op.stateful_map(init, f, name))


@overload
def distinct() -> DistinctStage: ...
@overload
def distinct(key: Callable[[A], Hashable], *, of: type[A] | None = None, name: str | None = None) -> Stream[A, A]: ...
def distinct(
    key: Callable[[A], Hashable] | None = None, *, of: type[A] | None = None, name: str | None = None
) -> DistinctStage | Stream[A, A]:
    """Keep the first element of each key (the element itself when no key is given)."""
    op = _op.distinct(key, name)
    return DistinctStage(op) if key is None else _stage(op)


# -- errors as values (returns ``Result``) -------------------------------------------------------------------


@overload
def try_map(
    f: Callable[[A], Coroutine[Any, Any, B]],
    *,
    catch: type[Ex],
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Result[B, Ex]]: ...
@overload
def try_map(
    f: Callable[[A], Coroutine[Any, Any, B]],
    *,
    catch: tuple[type[Ex], type[Ex2]],
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Result[B, Ex | Ex2]]: ...
@overload
def try_map(
    f: Callable[[A], Coroutine[Any, Any, B]],
    *,
    catch: tuple[type[Ex], ...],
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Result[B, Ex]]: ...
@overload
def try_map(
    f: Callable[[A], Coroutine[Any, Any, B]], *, of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, Result[B, Exception]]: ...
@overload
def try_map(
    f: Callable[[A], B], *, catch: type[Ex], of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, Result[B, Ex]]: ...
@overload
def try_map(
    f: Callable[[A], B],
    *,
    catch: tuple[type[Ex], type[Ex2]],
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Result[B, Ex | Ex2]]: ...
@overload
def try_map(
    f: Callable[[A], B],
    *,
    catch: tuple[type[Ex], ...],
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Result[B, Ex]]: ...
@overload
def try_map(
    f: Callable[[A], B], *, of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, Result[B, Exception]]: ...
def try_map(
    f: Callable[[A], Any],
    *,
    catch: type[Exception] | tuple[type[Exception], ...] = Exception,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[A]],
) -> Stream[A, Any]:
    """Apply ``f`` (sync or async); a value becomes ``Success(value)``, an exception of ``catch`` (after any
    retries) ``Failure(exception)``. Other exceptions follow ``on_error``; cancellation is never caught."""
    return _stage(_op.try_map(f, catch, **options))


@overload
def map_ok(
    f: Callable[[A], Coroutine[Any, Any, B]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[Result[A, object]]],
) -> MapOkStage[A, B]: ...
@overload
def map_ok(
    f: Callable[[A], B], *, of: type[A] | None = None, **options: Unpack[ElementOptions[Result[A, object]]]
) -> MapOkStage[A, B]: ...
def map_ok(
    f: Callable[[A], Any], *, of: type[A] | None = None, **options: Unpack[ElementOptions[Result[A, object]]]
) -> MapOkStage[A, Any]:
    """Apply ``f`` (sync or async) to the value of each ``Success``; a ``Failure`` passes unchanged."""
    return MapOkStage(_op.result_element("map_ok", f, **options))


@overload
def bind(
    f: Callable[[A], Coroutine[Any, Any, Result[B, E2]]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[Result[A, object]]],
) -> BindStage[A, B, E2]: ...
@overload
def bind(
    f: Callable[[A], Result[B, E2]],
    *,
    of: type[A] | None = None,
    **options: Unpack[ElementOptions[Result[A, object]]],
) -> BindStage[A, B, E2]: ...
def bind(
    f: Callable[[A], Any], *, of: type[A] | None = None, **options: Unpack[ElementOptions[Result[A, object]]]
) -> BindStage[A, Any, Any]:
    """Chain a step that may fail: ``f`` maps each ``Success`` value to a new ``Result``. The error type of the
    output is the union of the input's and ``f``'s."""
    return BindStage(_op.result_element("bind", f, **options))


@overload
def recover(
    f: Callable[[E], Coroutine[Any, Any, Result[B, E2]]],
    *,
    of: type[E] | None = None,
    **options: Unpack[ElementOptions[Result[object, E]]],
) -> RecoverStage[E, B, E2]: ...
@overload
def recover(
    f: Callable[[E], Result[B, E2]],
    *,
    of: type[E] | None = None,
    **options: Unpack[ElementOptions[Result[object, E]]],
) -> RecoverStage[E, B, E2]: ...
def recover(
    f: Callable[[E], Any], *, of: type[E] | None = None, **options: Unpack[ElementOptions[Result[object, E]]]
) -> RecoverStage[E, Any, Any]:
    """Handle errors: ``f`` maps each ``Failure``'s error to a new ``Result`` (``Success`` to recover, ``Failure``
    to keep failing), so the output's error type is what ``f`` can still return."""
    return RecoverStage(_op.result_element("recover", f, **options))


def successes() -> ValuesStage:
    """The values of the ``Success`` elements; ``Failure`` elements are dropped (counted as filtered)."""
    return ValuesStage(_op.successes())


def failures() -> ErrorsStage:
    """The errors of the ``Failure`` elements; ``Success`` elements are dropped (counted as filtered)."""
    return ErrorsStage(_op.failures())


def unwrap() -> ValuesStage:
    """The values; the first ``Failure`` ends the run with its error (an exception is raised as itself)."""
    return ValuesStage(_op.unwrap())


# -- type-preserving and batching stages ------------------------------------------------------------------------


def take(n: int) -> SameStage:
    """The first ``n`` elements; upstream is then no longer pulled."""
    return SameStage(_op.take(n))


def skip(n: int) -> SameStage:
    """All but the first ``n`` elements."""
    return SameStage(_op.skip(n))


def buffer(n: int) -> SameStage:
    """Pull up to ``n`` elements ahead of demand, in a task of its own."""
    return SameStage(_op.buffer(n))


def timeout(seconds: float) -> SameStage:
    """Fail with ``TimeoutError`` if upstream takes longer than ``seconds`` to deliver the next element."""
    return SameStage(_op.timeout(seconds))


def throttle(rate: int, per: float = 1.0) -> SameStage:
    """At most ``rate`` elements in any window of ``per`` seconds."""
    return SameStage(_op.throttle(rate, per))


def batch(n: int) -> BatchStage:
    """Lists of ``n`` elements; the final list may be shorter."""
    return BatchStage(_op.batch(n))


def batch_within(n: int, seconds: float) -> BatchStage:
    """A list as soon as ``n`` elements are in, or ``seconds`` after its first element; never empty."""
    return BatchStage(_op.batch_within(n, seconds))


def flatten() -> FlattenStage:
    """The elements of each iterable element, in order."""
    return FlattenStage(_op.flatten())


# -- combining sources ----------------------------------------------------------------------------------------


@overload
def merge(a: Source[A], /) -> Source[A]: ...
@overload
def merge(a: Source[A], b: Source[B], /) -> Source[A | B]: ...
@overload
def merge(a: Source[A], b: Source[B], c: Source[C], /) -> Source[A | B | C]: ...
@overload
def merge(a: Source[A], b: Source[B], c: Source[C], d: Source[D], /, *rest: Source[T]) -> Source[A | B | C | D | T]: ...
def merge(first: Source[Any], /, *rest: Source[Any]) -> Source[Any]:
    """Interleave the sources' elements as they arrive; ends when all have ended."""
    return first._then(_op.combine("merge", rest))  # pyright: ignore[reportPrivateUsage]


@overload
def concat(a: Source[A], /) -> Source[A]: ...
@overload
def concat(a: Source[A], b: Source[B], /) -> Source[A | B]: ...
@overload
def concat(a: Source[A], b: Source[B], c: Source[C], /) -> Source[A | B | C]: ...
@overload
def concat(a: Source[A], b: Source[B], c: Source[C], d: Source[D], /, *rest: Source[T]) -> Source[A | B | C | D | T]: ...
def concat(first: Source[Any], /, *rest: Source[Any]) -> Source[Any]:
    """The sources one after another."""
    return first._then(_op.combine("concat", rest))  # pyright: ignore[reportPrivateUsage]


@overload
def zip(a: Source[A], b: Source[B], /) -> Source[tuple[A, B]]: ...
@overload
def zip(a: Source[A], b: Source[B], c: Source[C], /) -> Source[tuple[A, B, C]]: ...
@overload
def zip(a: Source[A], b: Source[B], c: Source[C], d: Source[D], /) -> Source[tuple[A, B, C, D]]: ...
def zip(first: Source[Any], *rest: Source[Any]) -> Source[tuple[Any, ...]]:
    """Tuples of one element from each source; stops with the shortest."""
    return cast(Source[tuple[Any, ...]], first._then(_op.combine("zip", rest)))  # pyright: ignore[reportPrivateUsage]
