"""``Stream[In, Out]``: a reusable stage or chain of stages. It cannot run on its own."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Coroutine, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeGuard, TypeVar, cast, overload

from returns.result import Result

from typing_extensions import TypeIs, Unpack

from . import _op
from ._op import ElementOptions, Op

if TYPE_CHECKING:
    from ._source import Source

__all__ = ["Stream"]

In = TypeVar("In", contravariant=True)
Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
N = TypeVar("N")
S = TypeVar("S")
T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
T2 = TypeVar("T2")
E = TypeVar("E")
E2 = TypeVar("E2")
Ex = TypeVar("Ex", bound=Exception)
Ex2 = TypeVar("Ex2", bound=Exception)


class Stream(Generic[In, Out]):
    """A chain of stages from ``In`` to ``Out``. Compose with ``|``; run by putting a ``Source`` in front.

    Building a stream runs no user code and holds no run state, so one stream can be used in many pipelines.
    """

    __slots__ = ("_ops",)

    def __init__(self, ops: tuple[Op, ...]) -> None:
        self._ops = ops

    def __or__(self, other: Stream[Out, N]) -> Stream[In, N]:
        if not isinstance(cast(object, other), Stream):
            return NotImplemented
        return Stream(self._ops + other._ops)

    def __repr__(self) -> str:
        return f"Stream({' | '.join(op.name for op in self._ops)})"

    def _then(self, op: Op) -> Stream[Any, Any]:
        return Stream(self._ops + (op,))

    # -- element operators (one call of f per element, sync or async) --------------------------------------

    @overload
    def map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    @overload
    def map(
        self,
        f: Callable[[Out], B],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    def map(
        self,
        f: Callable[[Out], Any],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Any]:
        """Apply ``f`` to each element; with ``concurrency=n`` up to n calls run at once."""
        return self._then(_op.element("map", f, **options))

    @overload
    def filter(
        self,
        pred: Callable[[Out], TypeIs[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    @overload
    def filter(
        self,
        pred: Callable[[Out], TypeGuard[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    @overload
    def filter(
        self,
        pred: Callable[[Out], object],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Out]: ...
    def filter(
        self,
        pred: Callable[[Out], object],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Any]:
        """Keep the elements for which ``pred`` is truthy (an async ``pred`` is awaited); a ``TypeIs`` or
        ``TypeGuard`` predicate narrows the element type."""
        return self._then(_op.element("filter", pred, **options))

    @overload
    def flat_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, Iterable[B]]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    @overload
    def flat_map(
        self,
        f: Callable[[Out], AsyncIterable[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    @overload
    def flat_map(
        self,
        f: Callable[[Out], Iterable[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, B]: ...
    def flat_map(
        self,
        f: Callable[[Out], Any],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Any]:
        """Replace each element by the elements of the (async) iterable ``f`` returns."""
        return self._then(_op.element("flat_map", f, **options))

    def tap(
        self,
        f: Callable[[Out], object],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Out]:
        """Call ``f`` on each element for its effect; pass the element on unchanged."""
        return self._then(_op.element("tap", f, **options))

    def take_while(self, pred: Callable[[Out], object], *, name: str | None = None) -> Stream[In, Out]:
        """Pass elements until the first one for which ``pred`` is falsy (not emitted), then stop."""
        return self._then(_op.element("take_while", pred, name=name))

    # -- errors as values (returns ``Result``) ---------------------------------------------------------------

    @overload
    def try_map(
        self, f: Callable[[Out], Coroutine[Any, Any, B]], *, catch: type[Ex], **options: Unpack[ElementOptions[Out]]
    ) -> Stream[In, Result[B, Ex]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], type[Ex2]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Result[B, Ex | Ex2]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], ...],
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Result[B, Ex]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], Coroutine[Any, Any, B]], **options: Unpack[ElementOptions[Out]]
    ) -> Stream[In, Result[B, Exception]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: type[Ex], **options: Unpack[ElementOptions[Out]]
    ) -> Stream[In, Result[B, Ex]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: tuple[type[Ex], type[Ex2]], **options: Unpack[ElementOptions[Out]]
    ) -> Stream[In, Result[B, Ex | Ex2]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: tuple[type[Ex], ...], **options: Unpack[ElementOptions[Out]]
    ) -> Stream[In, Result[B, Ex]]: ...
    @overload
    def try_map(self, f: Callable[[Out], B], **options: Unpack[ElementOptions[Out]]) -> Stream[In, Result[B, Exception]]: ...
    def try_map(
        self,
        f: Callable[[Out], Any],
        *,
        catch: type[Exception] | tuple[type[Exception], ...] = Exception,
        **options: Unpack[ElementOptions[Out]],
    ) -> Stream[In, Any]:
        """Apply ``f``; an exception of ``catch`` (after any retries) becomes a ``Failure``, a value a ``Success``."""
        return self._then(_op.try_map(f, catch, **options))

    @overload
    def map_ok(
        self: Stream[S, Result[A, E]],
        f: Callable[[A], Coroutine[Any, Any, B]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Stream[S, Result[B, E]]: ...
    @overload
    def map_ok(
        self: Stream[S, Result[A, E]], f: Callable[[A], B], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Stream[S, Result[B, E]]: ...
    def map_ok(
        self: Stream[S, Result[A, E]], f: Callable[[A], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Stream[S, Any]:
        """Apply ``f`` to the value of each ``Success``; a ``Failure`` passes unchanged."""
        return self._then(_op.result_element("map_ok", f, **options))

    @overload
    def bind(
        self: Stream[S, Result[A, E]],
        f: Callable[[A], Coroutine[Any, Any, Result[B, E2]]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Stream[S, Result[B, E | E2]]: ...
    @overload
    def bind(
        self: Stream[S, Result[A, E]],
        f: Callable[[A], Result[B, E2]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Stream[S, Result[B, E | E2]]: ...
    def bind(
        self: Stream[S, Result[A, E]], f: Callable[[A], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Stream[S, Any]:
        """Chain a step that may fail: ``f`` returns a ``Result`` for each ``Success`` value; the error type grows
        to the union of both."""
        return self._then(_op.result_element("bind", f, **options))

    @overload
    def recover(
        self: Stream[S, Result[A, E]],
        f: Callable[[E], Coroutine[Any, Any, Result[B, E2]]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Stream[S, Result[A | B, E2]]: ...
    @overload
    def recover(
        self: Stream[S, Result[A, E]],
        f: Callable[[E], Result[B, E2]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Stream[S, Result[A | B, E2]]: ...
    def recover(
        self: Stream[S, Result[A, E]], f: Callable[[E], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Stream[S, Any]:
        """Handle errors: ``f`` turns each ``Failure``'s error into a new ``Result``, so returning ``Success`` for
        some errors and ``Failure`` for the rest narrows the error type."""
        return self._then(_op.result_element("recover", f, **options))

    def successes(self: Stream[S, Result[A, E]]) -> Stream[S, A]:
        """The values of the ``Success`` elements; failures are dropped (and counted as filtered)."""
        return self._then(_op.successes())

    def failures(self: Stream[S, Result[A, E]]) -> Stream[S, E]:
        """The errors of the ``Failure`` elements."""
        return self._then(_op.failures())

    def unwrap(self: Stream[S, Result[A, E]]) -> Stream[S, A]:
        """The values; the first ``Failure`` ends the run with its error (an exception is raised as itself)."""
        return self._then(_op.unwrap())

    # -- chunk operators ----------------------------------------------------------------------------------

    def take(self, n: int) -> Stream[In, Out]:
        """The first ``n`` elements; then upstream is no longer pulled."""
        return self._then(_op.take(n))

    def skip(self, n: int) -> Stream[In, Out]:
        """All but the first ``n`` elements."""
        return self._then(_op.skip(n))

    def batch(self, n: int) -> Stream[In, list[Out]]:
        """Lists of ``n`` elements; the last list may be shorter."""
        return self._then(_op.batch(n))

    def batch_within(self, n: int, seconds: float) -> Stream[In, list[Out]]:
        """A list when ``n`` elements are in, or ``seconds`` after the first of them; never empty."""
        return self._then(_op.batch_within(n, seconds))

    def flatten(self: Stream[A, Iterable[T]]) -> Stream[A, T]:
        """The elements of each iterable element, in order."""
        return self._then(_op.flatten())

    def scan(self, init: S, f: Callable[[S, Out], S], *, name: str | None = None) -> Stream[In, S]:
        """Emit ``f(acc, x)`` for each element (not ``init`` itself); the accumulator is fresh for every run."""
        return self._then(_op.scan(init, f, name))

    @overload
    def stateful_map(
        self, init: Callable[[], S], f: Callable[[S, Out], tuple[S, B]], *, name: str | None = None
    ) -> Stream[In, B]: ...
    @overload
    def stateful_map(self, init: S, f: Callable[[S, Out], tuple[S, B]], *, name: str | None = None) -> Stream[In, B]: ...
    def stateful_map(self, init: Any, f: Callable[[Any, Out], tuple[Any, Any]], *, name: str | None = None) -> Any:
        """``f(state, x)`` returns ``(new_state, output)``. A callable ``init`` is a factory called per run."""
        return self._then(_op.stateful_map(init, f, name))

    @overload
    def distinct(self: Stream[A, H], key: None = None, *, name: str | None = None) -> Stream[A, H]: ...
    @overload
    def distinct(self, key: Callable[[Out], Hashable], *, name: str | None = None) -> Stream[In, Out]: ...
    def distinct(self, key: Callable[[Out], Hashable] | None = None, *, name: str | None = None) -> Any:
        """Keep the first element of each key (the element itself, which must then be hashable)."""
        return self._then(_op.distinct(key, name))

    def buffer(self, n: int) -> Stream[In, Out]:
        """Pull up to ``n`` elements ahead of the consumer, in a task of their own."""
        return self._then(_op.buffer(n))

    def timeout(self, seconds: float) -> Stream[In, Out]:
        """Fail with ``TimeoutError`` when upstream takes longer than ``seconds`` to deliver the next element."""
        return self._then(_op.timeout(seconds))

    def throttle(self, rate: int, per: float = 1.0) -> Stream[In, Out]:
        """At most ``rate`` elements in any ``per`` seconds."""
        return self._then(_op.throttle(rate, per))

    # -- combining with other sources ---------------------------------------------------------------------

    def merge(self, *others: Source[T]) -> Stream[In, Out | T]:
        """Interleave this stream's output with ``others`` as elements arrive."""
        return self._then(_op.combine("merge", others))

    def concat(self, *others: Source[T]) -> Stream[In, Out | T]:
        """This stream's output, then each of ``others`` in turn."""
        return self._then(_op.combine("concat", others))

    @overload
    def zip(self, other: Source[T], /) -> Stream[In, tuple[Out, T]]: ...
    @overload
    def zip(self, other: Source[T], other2: Source[T2], /) -> Stream[In, tuple[Out, T, T2]]: ...
    def zip(self, *others: Source[Any]) -> Stream[In, tuple[Any, ...]]:
        """Tuples of this stream's output and ``others``, stopping with the shortest."""
        return self._then(_op.combine("zip", others))
