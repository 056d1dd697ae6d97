"""Stage objects: operators whose output type depends only on what comes before them (``take``, ``batch``,
``map_ok``, ...). Their overloaded ``__ror__`` solves the element type from the ``Source`` or ``Stream`` on
their left (a generic factory would give ``Never``/``Unknown``), and their ``__or__`` composes with what follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Hashable
from typing import Any, Generic, TypeVar, overload

from returns.result import Result

from ._engine import Op
from ._faces import KeepStage, Source, Stream, extended, prefixed

__all__ = [
    "BatchStage",
    "BindStage",
    "DistinctStage",
    "ErrorsStage",
    "FlattenStage",
    "MapOkStage",
    "NotNoneStage",
    "RecoverStage",
    "SameStage",
    "ValuesStage",
]

A = TypeVar("A")
B = TypeVar("B")
N = TypeVar("N")
S = TypeVar("S")
T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
E = TypeVar("E")
E2 = TypeVar("E2")
C = TypeVar("C")


class _StageObject:
    """Shared plumbing of the stage objects: a tuple of ops attached to whatever is on the left."""

    __slots__ = ("_ops",)

    def __init__(self, *ops: Op) -> None:
        self._ops = ops

    def _attach(self, left: object) -> Any:
        return extended(left, self._ops)

    def _then(self, other: object, result: type[_StageObject] | None) -> Any:
        if isinstance(other, _StageObject):
            assert result is not None
            return result(*self._ops, *other._ops)
        return prefixed(self._ops, other)

    def __repr__(self) -> str:
        return f"<stage {' | '.join(op.name for op in self._ops)}>"


class SameStage(_StageObject):
    """Stages that keep the element type: ``take``, ``skip``, ``buffer``, ``timeout``, ``throttle``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[T]) -> Source[T]: ...
    @overload
    def __ror__(self, left: Stream[A, T]) -> Stream[A, T]: ...
    @overload
    def __ror__(self, left: KeepStage[C]) -> KeepStage[C]: ...
    def __ror__(self, left: Source[Any] | Stream[Any, Any] | KeepStage[Any]) -> Any:
        return self._attach(left)

    @overload
    def __or__(self, other: SameStage) -> SameStage: ...
    @overload
    def __or__(self, other: BatchStage) -> BatchStage: ...
    @overload
    def __or__(self, other: KeepStage[C]) -> KeepStage[C]: ...
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


class NotNoneStage(_StageObject):
    """``not_none()``: ``A | None`` to ``A``."""

    __slots__ = ()

    @overload
    def __ror__(self, left: Source[A | None]) -> Source[A]: ...
    @overload
    def __ror__(self, left: Stream[S, A | None]) -> Stream[S, A]: ...
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

