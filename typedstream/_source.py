"""``Source[Out]``: a runnable pipeline that produces ``Out``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Coroutine, Hashable, Iterable
from typing import Any, Generic, TypeGuard, TypeVar, cast, overload

from returns.result import Result

from typing_extensions import TypeIs, Unpack

from . import _op
from ._op import ElementOptions, Op, Origin
from ._report import RunOptions, RunReport
from ._sink import Sink
from ._stream import Stream

__all__ = ["Source", "source"]

Out = TypeVar("Out", covariant=True)
A = TypeVar("A")
B = TypeVar("B")
N = TypeVar("N")
R = TypeVar("R")
S = TypeVar("S")
T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
E = TypeVar("E")
E2 = TypeVar("E2")
Ex = TypeVar("Ex", bound=Exception)
Ex2 = TypeVar("Ex2", bound=Exception)
T2 = TypeVar("T2")


class Source(Generic[Out]):
    """A pipeline with its input: ``source(xs) | stage | ...``. Nothing runs until it is pulled.

    A Source is a blueprint: each run (``async for``, ``stream()``, ``collect()``, ``into()``, ``run()``) starts
    fresh, with its own state, tasks and generators, all closed before the run returns.
    """

    __slots__ = ("_origin", "_ops")

    def __init__(self, origin: Origin, ops: tuple[Op, ...] = ()) -> None:
        self._origin = origin
        self._ops = ops

    def __or__(self, other: Stream[Out, N]) -> Source[N]:
        if not isinstance(cast(object, other), Stream):
            return NotImplemented
        return Source(self._origin, self._ops + other._ops)  # pyright: ignore[reportPrivateUsage]

    def __repr__(self) -> str:
        stages = "".join(f" | {op.name}" for op in self._ops)
        return f"Source({self._origin.kind}{stages})"

    def _then(self, op: Op) -> Source[Any]:
        return Source(self._origin, self._ops + (op,))

    # -- running ------------------------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[Out]:
        """Iterate the elements. On ``break`` cleanup runs when the iterator is collected; use ``stream()`` to
        have it done before the block is left."""
        from ._run import iterate

        return iterate(self)

    @contextlib.asynccontextmanager
    async def stream(self, **options: Unpack[RunOptions]) -> AsyncGenerator[AsyncIterator[Out]]:
        """``async with src.stream() as it:`` iterate with every task and generator closed on exit. The run
        starts when the block is entered and reports when it is left, pulled or not."""
        from ._run import open_iteration

        scope, it = open_iteration(self, options)
        try:
            yield it
        finally:
            await it.aclose()
            if not scope.ended:  # never pulled: the generator never started, so end the run here
                await scope.end(None)

    async def collect(self, **options: Unpack[RunOptions]) -> list[Out]:
        """Run to completion and return every element."""
        from ._sinks import to_list

        return await self.into(to_list(), **options)

    async def into(self, sink: Sink[Out, R], **options: Unpack[RunOptions]) -> R:
        """Run into ``sink`` and return its result."""
        from ._run import drive

        return await drive(self, sink, **options)

    async def run(self, **options: Unpack[RunOptions]) -> RunReport:
        """Run to completion, discarding the elements; return the run's report."""
        from ._run import drain

        return await drain(self, **options)

    # -- element operators (one call of f per element, sync or async) --------------------------------------

    @overload
    def map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    @overload
    def map(
        self,
        f: Callable[[Out], B],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    def map(
        self,
        f: Callable[[Out], Any],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Any]:
        """Apply ``f`` to each element; with ``concurrency=n`` up to n calls run at once."""
        return self._then(_op.element("map", f, **options))

    @overload
    def filter(
        self,
        pred: Callable[[Out], TypeIs[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    @overload
    def filter(
        self,
        pred: Callable[[Out], TypeGuard[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    @overload
    def filter(
        self,
        pred: Callable[[Out], object],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Out]: ...
    def filter(
        self,
        pred: Callable[[Out], object],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Any]:
        """Keep the elements for which ``pred`` is truthy (an async ``pred`` is awaited); a ``TypeIs`` or
        ``TypeGuard`` predicate narrows the element type."""
        return self._then(_op.element("filter", pred, **options))

    @overload
    def flat_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, Iterable[B]]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    @overload
    def flat_map(
        self,
        f: Callable[[Out], AsyncIterable[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    @overload
    def flat_map(
        self,
        f: Callable[[Out], Iterable[B]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[B]: ...
    def flat_map(
        self,
        f: Callable[[Out], Any],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Any]:
        """Replace each element by the elements of the (async) iterable ``f`` returns."""
        return self._then(_op.element("flat_map", f, **options))

    def tap(
        self,
        f: Callable[[Out], object],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Out]:
        """Call ``f`` on each element for its effect; pass the element on unchanged."""
        return self._then(_op.element("tap", f, **options))

    def take_while(self, pred: Callable[[Out], object], *, name: str | None = None) -> Source[Out]:
        """Pass elements until the first one for which ``pred`` is falsy (not emitted), then stop."""
        return self._then(_op.element("take_while", pred, name=name))

    # -- errors as values (returns ``Result``) ---------------------------------------------------------------

    @overload
    def try_map(
        self, f: Callable[[Out], Coroutine[Any, Any, B]], *, catch: type[Ex], **options: Unpack[ElementOptions[Out]]
    ) -> Source[Result[B, Ex]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], type[Ex2]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Result[B, Ex | Ex2]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], ...],
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Result[B, Ex]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], Coroutine[Any, Any, B]], **options: Unpack[ElementOptions[Out]]
    ) -> Source[Result[B, Exception]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: type[Ex], **options: Unpack[ElementOptions[Out]]
    ) -> Source[Result[B, Ex]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: tuple[type[Ex], type[Ex2]], **options: Unpack[ElementOptions[Out]]
    ) -> Source[Result[B, Ex | Ex2]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: tuple[type[Ex], ...], **options: Unpack[ElementOptions[Out]]
    ) -> Source[Result[B, Ex]]: ...
    @overload
    def try_map(self, f: Callable[[Out], B], **options: Unpack[ElementOptions[Out]]) -> Source[Result[B, Exception]]: ...
    def try_map(
        self,
        f: Callable[[Out], Any],
        *,
        catch: type[Exception] | tuple[type[Exception], ...] = Exception,
        **options: Unpack[ElementOptions[Out]],
    ) -> Source[Any]:
        """Apply ``f``; an exception of ``catch`` (after any retries) becomes a ``Failure``, a value a ``Success``."""
        return self._then(_op.try_map(f, catch, **options))

    @overload
    def map_ok(
        self: Source[Result[A, E]],
        f: Callable[[A], Coroutine[Any, Any, B]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Source[Result[B, E]]: ...
    @overload
    def map_ok(
        self: Source[Result[A, E]], f: Callable[[A], B], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Source[Result[B, E]]: ...
    def map_ok(
        self: Source[Result[A, E]], f: Callable[[A], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Source[Any]:
        """Apply ``f`` to the value of each ``Success``; a ``Failure`` passes unchanged."""
        return self._then(_op.result_element("map_ok", f, **options))

    @overload
    def bind(
        self: Source[Result[A, E]],
        f: Callable[[A], Coroutine[Any, Any, Result[B, E2]]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Source[Result[B, E | E2]]: ...
    @overload
    def bind(
        self: Source[Result[A, E]],
        f: Callable[[A], Result[B, E2]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Source[Result[B, E | E2]]: ...
    def bind(
        self: Source[Result[A, E]], f: Callable[[A], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Source[Any]:
        """Chain a step that may fail: ``f`` returns a ``Result`` for each ``Success`` value; the error type grows
        to the union of both."""
        return self._then(_op.result_element("bind", f, **options))

    @overload
    def recover(
        self: Source[Result[A, E]],
        f: Callable[[E], Coroutine[Any, Any, Result[B, E2]]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Source[Result[A | B, E2]]: ...
    @overload
    def recover(
        self: Source[Result[A, E]],
        f: Callable[[E], Result[B, E2]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Source[Result[A | B, E2]]: ...
    def recover(
        self: Source[Result[A, E]], f: Callable[[E], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Source[Any]:
        """Handle errors: ``f`` turns each ``Failure``'s error into a new ``Result``, so returning ``Success`` for
        some errors and ``Failure`` for the rest narrows the error type."""
        return self._then(_op.result_element("recover", f, **options))

    def successes(self: Source[Result[A, E]]) -> Source[A]:
        """The values of the ``Success`` elements; failures are dropped (and counted as filtered)."""
        return self._then(_op.successes())

    def failures(self: Source[Result[A, E]]) -> Source[E]:
        """The errors of the ``Failure`` elements."""
        return self._then(_op.failures())

    def unwrap(self: Source[Result[A, E]]) -> Source[A]:
        """The values; the first ``Failure`` ends the run with its error (an exception is raised as itself)."""
        return self._then(_op.unwrap())

    # -- chunk operators ----------------------------------------------------------------------------------

    def take(self, n: int) -> Source[Out]:
        """The first ``n`` elements; then upstream is no longer pulled."""
        return self._then(_op.take(n))

    def skip(self, n: int) -> Source[Out]:
        """All but the first ``n`` elements."""
        return self._then(_op.skip(n))

    def batch(self, n: int) -> Source[list[Out]]:
        """Lists of ``n`` elements; the last list may be shorter."""
        return self._then(_op.batch(n))

    def batch_within(self, n: int, seconds: float) -> Source[list[Out]]:
        """A list when ``n`` elements are in, or ``seconds`` after the first of them; never empty."""
        return self._then(_op.batch_within(n, seconds))

    def flatten(self: Source[Iterable[T]]) -> Source[T]:
        """The elements of each iterable element, in order."""
        return self._then(_op.flatten())

    def scan(self, init: S, f: Callable[[S, Out], S], *, name: str | None = None) -> Source[S]:
        """Emit ``f(acc, x)`` for each element (not ``init`` itself); the accumulator is fresh for every run."""
        return self._then(_op.scan(init, f, name))

    @overload
    def stateful_map(
        self, init: Callable[[], S], f: Callable[[S, Out], tuple[S, B]], *, name: str | None = None
    ) -> Source[B]: ...
    @overload
    def stateful_map(self, init: S, f: Callable[[S, Out], tuple[S, B]], *, name: str | None = None) -> Source[B]: ...
    def stateful_map(self, init: Any, f: Callable[[Any, Out], tuple[Any, Any]], *, name: str | None = None) -> Any:
        """``f(state, x)`` returns ``(new_state, output)``. A callable ``init`` is a factory called per run."""
        return self._then(_op.stateful_map(init, f, name))

    @overload
    def distinct(self: Source[H], key: None = None, *, name: str | None = None) -> Source[H]: ...
    @overload
    def distinct(self, key: Callable[[Out], Hashable], *, name: str | None = None) -> Source[Out]: ...
    def distinct(self, key: Callable[[Out], Hashable] | None = None, *, name: str | None = None) -> Any:
        """Keep the first element of each key (the element itself, which must then be hashable)."""
        return self._then(_op.distinct(key, name))

    def buffer(self, n: int) -> Source[Out]:
        """Pull up to ``n`` elements ahead of the consumer, in a task of their own."""
        return self._then(_op.buffer(n))

    def timeout(self, seconds: float) -> Source[Out]:
        """Fail with ``TimeoutError`` when upstream takes longer than ``seconds`` to deliver the next element."""
        return self._then(_op.timeout(seconds))

    def throttle(self, rate: int, per: float = 1.0) -> Source[Out]:
        """At most ``rate`` elements in any ``per`` seconds."""
        return self._then(_op.throttle(rate, per))

    # -- combining with other sources ---------------------------------------------------------------------

    def merge(self, *others: Source[T]) -> Source[Out | T]:
        """Interleave this source's output with ``others`` as elements arrive."""
        return self._then(_op.combine("merge", others))

    def concat(self, *others: Source[T]) -> Source[Out | T]:
        """This source's output, then each of ``others`` in turn."""
        return self._then(_op.combine("concat", others))

    @overload
    def zip(self, other: Source[T], /) -> Source[tuple[Out, T]]: ...
    @overload
    def zip(self, other: Source[T], other2: Source[T2], /) -> Source[tuple[Out, T, T2]]: ...
    def zip(self, *others: Source[Any]) -> Source[tuple[Any, ...]]:
        """Tuples of this source's output and ``others``, stopping with the shortest."""
        return self._then(_op.combine("zip", others))


def source(items: Iterable[T] | AsyncIterable[T], *, chunk_size: int | None = None) -> Source[T]:
    """A Source over a sync or async iterable. The iterable is only iterated when the Source runs.

    ``chunk_size`` fixes how many elements move together; by default a sync iterable is read in chunks that
    grow from 1 to 1024 and an async iterable is passed on element by element (never waiting to fill a chunk).
    """
    return Source(_op.origin_of(items, chunk_size))
