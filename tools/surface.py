"""The operator surface of typedstream, written once: every operator as a method of one generic ``Face``.

``make surface`` (``python tools/generate_surface.py``) writes each operator from here three times, so the three
cannot drift apart: as a method of ``Source`` and of ``Stream`` (``typedstream/_faces.py``) and as a free function
(``typedstream/_functions.py``), between the ``generated surface`` markers of those files. ``make test`` fails
when they are stale. This file is a template, not a module: the checkers check what it generates.

How a method becomes the three surfaces:

- ``Face[X]`` is ``Source[X]`` on ``Source``, ``Stream[In, X]`` on ``Stream`` (``Stream[S, X]`` in a signature
  whose ``self`` is annotated: the method is restricted to some streams) and ``Stream[A, X]`` in a free function.
- The free function drops ``self``, calls the element type ``A`` instead of ``Out``, takes ``of: type[A] | None``
  (to type a lambda) and returns ``_stage(op)``, a one-stage ``Stream``.
- ``@free_returns(Cls)``: the free function returns ``Cls(op)`` instead, a stage object whose ``__ror__`` solves
  its type from the left operand, and takes no ``of=``.
- A function of the same name below the class is the free form itself (its docstring is the method's).

Names the bodies use: the operator families ``element``, ``results``, ``chunk``, ``timing``, ``combine`` (modules
of ``typedstream._ops``), ``_chains(kind, others)`` (the ``Chain`` of each ``Source``, checked), ``checked_source(kind,
first)``, ``_stage(op)`` and the stage objects.
"""

from __future__ import annotations


class Face(Generic[Out]):
    # -- element operators: one call of f per element, sync or async

    @overload
    def map(self, f: Callable[[Out], Coroutine[Any, Any, B]], **options: Unpack[ElementOptions[Out]]) -> Face[B]: ...
    @overload
    def map(self, f: Callable[[Out], B], **options: Unpack[ElementOptions[Out]]) -> Face[B]: ...
    def map(self, f: Callable[[Out], Any], **options: Unpack[ElementOptions[Out]]) -> Face[Any]:
        """Apply ``f`` (sync or async) to each element. With ``concurrency=n`` up to n calls run at once, in input
        order unless ``ordered=False``; ``window`` bounds how far ahead of the oldest pending element they go."""
        return self._then(element.map(f, **options))

    @overload
    def filter(self, pred: Callable[[Out], TypeIs[B]], **options: Unpack[ElementOptions[Out]]) -> Face[B]: ...
    @overload
    def filter(self, pred: Callable[[Out], TypeGuard[B]], **options: Unpack[ElementOptions[Out]]) -> Face[B]: ...
    @overload
    def filter(self, pred: Callable[[Out], object], **options: Unpack[ElementOptions[Out]]) -> Face[Out]: ...
    def filter(self, pred: Callable[[Out], object], **options: Unpack[ElementOptions[Out]]) -> Face[Any]:
        """Keep the elements for which ``pred`` (sync or async) is truthy. A ``TypeIs`` or ``TypeGuard`` predicate
        narrows the element type (``filter(is_order)`` turns ``Order | None`` into ``Order``)."""
        return self._then(element.filter(pred, **options))

    @overload
    def flat_map(
        self, f: Callable[[Out], Coroutine[Any, Any, Iterable[B]]], **options: Unpack[ElementOptions[Out]]
    ) -> Face[B]: ...
    @overload
    def flat_map(self, f: Callable[[Out], AsyncIterable[B]], **options: Unpack[ElementOptions[Out]]) -> Face[B]: ...
    @overload
    def flat_map(self, f: Callable[[Out], Iterable[B]], **options: Unpack[ElementOptions[Out]]) -> Face[B]: ...
    def flat_map(self, f: Callable[[Out], Any], **options: Unpack[ElementOptions[Out]]) -> Face[Any]:
        """Replace each element by the elements of the iterable or async iterable ``f`` returns."""
        return self._then(element.flat_map(f, **options))

    def tap(self, f: Callable[[Out], object], **options: Unpack[ElementOptions[Out]]) -> Face[Out]:
        """Call ``f`` (sync or async) on each element for its effect; pass the element on unchanged."""
        return self._then(element.tap(f, **options))

    def take_while(self, pred: Callable[[Out], object], *, name: str | None = None) -> Face[Out]:
        """Pass elements until the first for which ``pred`` is falsy (that one is not emitted), then stop."""
        return self._then(element.take_while(pred, name))

    # -- errors as values (returns ``Result``)

    @overload
    def try_map(
        self, f: Callable[[Out], Coroutine[Any, Any, B]], *, catch: type[Ex], **options: Unpack[ElementOptions[Out]]
    ) -> Face[Result[B, Ex]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], type[Ex2]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], type[Ex2], type[Ex3]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2 | Ex3]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], type[Ex2], type[Ex3], type[Ex4]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2 | Ex3 | Ex4]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], type[Ex2], type[Ex3], type[Ex4], type[Ex5]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2 | Ex3 | Ex4 | Ex5]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], Coroutine[Any, Any, B]],
        *,
        catch: tuple[type[Ex], ...],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], Coroutine[Any, Any, B]], **options: Unpack[ElementOptions[Out]]
    ) -> Face[Result[B, Exception]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: type[Ex], **options: Unpack[ElementOptions[Out]]
    ) -> Face[Result[B, Ex]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: tuple[type[Ex], type[Ex2]], **options: Unpack[ElementOptions[Out]]
    ) -> Face[Result[B, Ex | Ex2]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], B],
        *,
        catch: tuple[type[Ex], type[Ex2], type[Ex3]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2 | Ex3]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], B],
        *,
        catch: tuple[type[Ex], type[Ex2], type[Ex3], type[Ex4]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2 | Ex3 | Ex4]]: ...
    @overload
    def try_map(
        self,
        f: Callable[[Out], B],
        *,
        catch: tuple[type[Ex], type[Ex2], type[Ex3], type[Ex4], type[Ex5]],
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Result[B, Ex | Ex2 | Ex3 | Ex4 | Ex5]]: ...
    @overload
    def try_map(
        self, f: Callable[[Out], B], *, catch: tuple[type[Ex], ...], **options: Unpack[ElementOptions[Out]]
    ) -> Face[Result[B, Ex]]: ...
    @overload
    def try_map(self, f: Callable[[Out], B], **options: Unpack[ElementOptions[Out]]) -> Face[Result[B, Exception]]: ...
    def try_map(
        self,
        f: Callable[[Out], Any],
        *,
        catch: type[Exception] | tuple[type[Exception], ...] = Exception,
        **options: Unpack[ElementOptions[Out]],
    ) -> Face[Any]:
        """Apply ``f`` (sync or async): a value becomes ``Success(value)``, an exception of ``catch`` (after any
        retries) ``Failure(exception)``. Other exceptions follow ``on_error``; cancellation is never caught."""
        return self._then(results.try_map(f, catch, **options))

    @overload
    def map_ok(
        self: Face[Result[A, E]],
        f: Callable[[A], Coroutine[Any, Any, B]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Face[Result[B, E]]: ...
    @overload
    def map_ok(
        self: Face[Result[A, E]], f: Callable[[A], B], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Face[Result[B, E]]: ...
    def map_ok(
        self: Face[Result[A, E]], f: Callable[[A], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Face[Any]:
        """Apply ``f`` (sync or async) to the value of each ``Success``; a ``Failure`` passes unchanged."""
        return self._then(results.map_ok(f, **options))

    @overload
    def bind(
        self: Face[Result[A, E]],
        f: Callable[[A], Coroutine[Any, Any, Result[B, E2]]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Face[Result[B, E | E2]]: ...
    @overload
    def bind(
        self: Face[Result[A, E]], f: Callable[[A], Result[B, E2]], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Face[Result[B, E | E2]]: ...
    def bind(
        self: Face[Result[A, E]], f: Callable[[A], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Face[Any]:
        """Chain a step that may fail: ``f`` maps each ``Success`` value to a new ``Result``. The error type of the
        output is the union of the input's and ``f``'s."""
        return self._then(results.bind(f, **options))

    @overload
    def recover(
        self: Face[Result[A, E]],
        f: Callable[[E], Coroutine[Any, Any, Result[B, E2]]],
        **options: Unpack[ElementOptions[Result[A, E]]],
    ) -> Face[Result[A | B, E2]]: ...
    @overload
    def recover(
        self: Face[Result[A, E]], f: Callable[[E], Result[B, E2]], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Face[Result[A | B, E2]]: ...
    def recover(
        self: Face[Result[A, E]], f: Callable[[E], Any], **options: Unpack[ElementOptions[Result[A, E]]]
    ) -> Face[Any]:
        """Handle errors: ``f`` maps each ``Failure``'s error to a new ``Result`` (``Success`` to recover,
        ``Failure`` to keep failing), so the output's error type is what ``f`` can still return."""
        return self._then(results.recover(f, **options))

    @free_returns(ValuesStage)
    def successes(self: Face[Result[A, E]]) -> Face[A]:
        """The values of the ``Success`` elements; ``Failure`` elements are dropped (counted as filtered)."""
        return self._then(results.successes())

    @free_returns(ErrorsStage)
    def failures(self: Face[Result[A, E]]) -> Face[E]:
        """The errors of the ``Failure`` elements; ``Success`` elements are dropped (counted as filtered)."""
        return self._then(results.failures())

    @free_returns(ValuesStage)
    def unwrap(self: Face[Result[A, E]]) -> Face[A]:
        """The values; the first ``Failure`` ends the run with its error (an exception is raised as itself)."""
        return self._then(results.unwrap())

    @free_returns(NotNoneStage)
    def not_none(self: Face[A | None]) -> Face[A]:
        """The elements that are not ``None``, typed without ``None`` (``Source[T | None]`` to ``Source[T]``): a
        lambda predicate never narrows, ``filter(lambda x: x is not None)`` stays ``T | None``. ``None``s are
        counted as filtered."""
        return self._then(element.not_none())

    # -- chunk operators

    @free_returns(SameStage)
    def take(self, n: int) -> Face[Out]:
        """The first ``n`` elements; upstream is then no longer pulled."""
        return self._then(chunk.take(n))

    @free_returns(SameStage)
    def skip(self, n: int) -> Face[Out]:
        """All but the first ``n`` elements."""
        return self._then(chunk.skip(n))

    @free_returns(BatchStage)
    def batch(self, n: int) -> Face[list[Out]]:
        """Lists of ``n`` elements; the final list may be shorter."""
        return self._then(chunk.batch(n))

    @free_returns(FlattenStage)
    def flatten(self: Face[Iterable[T]]) -> Face[T]:
        """The elements of each iterable element, in order."""
        return self._then(chunk.flatten())

    def scan(self, init: S, f: Callable[[S, Out], S], *, name: str | None = None) -> Face[S]:
        """Emit ``f(acc, x)`` for each element, starting from ``init`` (which is not emitted); the accumulator is
        fresh for every run."""
        return self._then(chunk.scan(init, f, name))

    @overload
    def stateful_map(
        self, init: Callable[[], S], f: Callable[[S, Out], tuple[S, B]], *, name: str | None = None
    ) -> Face[B]: ...
    @overload
    def stateful_map(self, init: S, f: Callable[[S, Out], tuple[S, B]], *, name: str | None = None) -> Face[B]: ...
    def stateful_map(self, init: Any, f: Callable[[Any, Out], tuple[Any, Any]], *, name: str | None = None) -> Any:
        """``f(state, x)`` returns ``(new_state, output)``; a callable ``init`` is a factory, called once per run."""
        return self._then(chunk.stateful_map(init, f, name))

    @overload
    def distinct(self: Face[H], key: None = None, *, name: str | None = None) -> Face[H]: ...
    @overload
    def distinct(self, key: Callable[[Out], Hashable], *, name: str | None = None) -> Face[Out]: ...
    def distinct(self, key: Callable[[Out], Hashable] | None = None, *, name: str | None = None) -> Any:
        """Keep the first element of each key (the element itself, which must then be hashable, if no key)."""
        return self._then(chunk.distinct(key, name))

    # -- time and demand

    @free_returns(BatchStage)
    def batch_within(self, n: int, seconds: float) -> Face[list[Out]]:
        """A list as soon as ``n`` elements are in, or ``seconds`` after its first element; never empty."""
        return self._then(timing.batch_within(n, seconds))

    @free_returns(SameStage)
    def buffer(self, n: int) -> Face[Out]:
        """Pull up to ``n`` elements ahead of demand, in a task of its own."""
        return self._then(timing.buffer(n))

    @free_returns(SameStage)
    def timeout(self, seconds: float) -> Face[Out]:
        """Fail with ``TimeoutError`` if upstream takes longer than ``seconds`` to deliver the next element."""
        return self._then(timing.timeout(seconds))

    @free_returns(SameStage)
    def throttle(self, rate: int, per: float = 1.0, burst: int | None = None) -> Face[Out]:
        """Elements spaced ``per / rate`` seconds apart, ``burst`` more back to back after a pause: at most
        ``rate + burst`` in any window of ``per`` seconds (the token bucket of ``RateLimit``, per run)."""
        return self._then(timing.throttle(rate, per, burst))

    # -- combining with other sources

    @overload
    def merge(self, other: Source[T], /) -> Face[Out | T]: ...
    @overload
    def merge(self, other: Source[T], other2: Source[T2], /) -> Face[Out | T | T2]: ...
    @overload
    def merge(self, other: Source[T], other2: Source[T2], other3: Source[T3], /) -> Face[Out | T | T2 | T3]: ...
    @overload
    def merge(
        self, other: Source[T], other2: Source[T2], other3: Source[T3], other4: Source[T4], /, *others: Source[T5]
    ) -> Face[Out | T | T2 | T3 | T4 | T5]: ...
    def merge(self, *others: Source[Any]) -> Face[Any]:
        """Interleave the elements of the sources as they arrive; ends when all of them have ended. The element
        type is the union of the sources' element types."""
        return self._then(combine.merge(_chains("merge", others)))

    @overload
    def concat(self, other: Source[T], /) -> Face[Out | T]: ...
    @overload
    def concat(self, other: Source[T], other2: Source[T2], /) -> Face[Out | T | T2]: ...
    @overload
    def concat(self, other: Source[T], other2: Source[T2], other3: Source[T3], /) -> Face[Out | T | T2 | T3]: ...
    @overload
    def concat(
        self, other: Source[T], other2: Source[T2], other3: Source[T3], other4: Source[T4], /, *others: Source[T5]
    ) -> Face[Out | T | T2 | T3 | T4 | T5]: ...
    def concat(self, *others: Source[Any]) -> Face[Any]:
        """The elements of the sources, one source after another. The element type is the union of the sources'
        element types."""
        return self._then(combine.concat(_chains("concat", others)))

    @overload
    def zip(self, other: Source[T], /) -> Face[tuple[Out, T]]: ...
    @overload
    def zip(self, other: Source[T], other2: Source[T2], /) -> Face[tuple[Out, T, T2]]: ...
    @overload
    def zip(self, other: Source[T], other2: Source[T2], other3: Source[T3], /) -> Face[tuple[Out, T, T2, T3]]: ...
    @overload
    def zip(
        self, other: Source[T], other2: Source[T2], other3: Source[T3], other4: Source[T4], /
    ) -> Face[tuple[Out, T, T2, T3, T4]]: ...
    @overload
    def zip(
        self, other: Source[T], other2: Source[T2], other3: Source[T3], other4: Source[T4], other5: Source[T5], /
    ) -> Face[tuple[Out, T, T2, T3, T4, T5]]: ...
    @overload
    def zip(
        self,
        other: Source[object],
        other2: Source[object],
        other3: Source[object],
        other4: Source[object],
        other5: Source[object],
        other6: Source[object],
        /,
        *others: Source[object],
    ) -> Face[tuple[object, ...]]: ...
    def zip(self, *others: Source[Any]) -> Face[tuple[Any, ...]]:
        """Tuples of one element of each source, in order; stops with the shortest source. Exact tuple types for
        up to six sources in all; beyond, ``tuple[object, ...]``."""
        return self._then(combine.zip(_chains("zip", others)))


# -- free forms that are not derived from the methods


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
    return MapOkStage(results.map_ok(f, **options))


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
    return BindStage(results.bind(f, **options))


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
    return RecoverStage(results.recover(f, **options))


@overload
def distinct() -> DistinctStage: ...
@overload
def distinct(key: Callable[[A], Hashable], *, of: type[A], name: str | None = None) -> Stream[A, A]: ...
@overload
def distinct(key: Callable[[A], Hashable], *, of: None = None, name: str | None = None) -> KeepStage[A]: ...
def distinct(
    key: Callable[[A], Hashable] | None = None, *, of: type[A] | None = None, name: str | None = None
) -> DistinctStage | Stream[A, A] | KeepStage[A]:
    op = chunk.distinct(key, name)
    return DistinctStage(op) if key is None else _kept(op)


# tap, filter and take_while keep the element type: without of= they are KeepStages, typed from their neighbours
# in a | chain (ints | tap(print) stays Source[int]); of=T makes them a Stream[T, T], which a name can be given.


@overload
def tap(f: Callable[[A], object], *, of: type[A], **options: Unpack[ElementOptions[A]]) -> Stream[A, A]: ...
@overload
def tap(f: Callable[[A], object], *, of: None = None, **options: Unpack[ElementOptions[A]]) -> KeepStage[A]: ...
def tap(
    f: Callable[[A], object], *, of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, A] | KeepStage[A]:
    return _kept(element.tap(f, **options))


@overload
def filter(
    pred: Callable[[A], TypeIs[B]], *, of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, B]: ...
@overload
def filter(
    pred: Callable[[A], TypeGuard[B]], *, of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, B]: ...
@overload
def filter(pred: Callable[[A], object], *, of: type[A], **options: Unpack[ElementOptions[A]]) -> Stream[A, A]: ...
@overload
def filter(
    pred: Callable[[A], object], *, of: None = None, **options: Unpack[ElementOptions[A]]
) -> KeepStage[A]: ...
def filter(
    pred: Callable[[A], object], *, of: type[A] | None = None, **options: Unpack[ElementOptions[A]]
) -> Stream[A, Any] | KeepStage[A]:
    return _kept(element.filter(pred, **options))


@overload
def take_while(pred: Callable[[A], object], *, of: type[A], name: str | None = None) -> Stream[A, A]: ...
@overload
def take_while(pred: Callable[[A], object], *, of: None = None, name: str | None = None) -> KeepStage[A]: ...
def take_while(
    pred: Callable[[A], object], *, of: type[A] | None = None, name: str | None = None
) -> Stream[A, A] | KeepStage[A]:
    return _kept(element.take_while(pred, name))


@overload
def merge(a: Source[A], /) -> Source[A]: ...
@overload
def merge(a: Source[A], b: Source[B], /) -> Source[A | B]: ...
@overload
def merge(a: Source[A], b: Source[B], c: Source[C], /) -> Source[A | B | C]: ...
@overload
def merge(a: Source[A], b: Source[B], c: Source[C], d: Source[D], /, *rest: Source[T]) -> Source[A | B | C | D | T]: ...
def merge(first: Source[Any], /, *rest: Source[Any]) -> Source[Any]:
    return checked_source("merge", first).merge(*rest)


@overload
def concat(a: Source[A], /) -> Source[A]: ...
@overload
def concat(a: Source[A], b: Source[B], /) -> Source[A | B]: ...
@overload
def concat(a: Source[A], b: Source[B], c: Source[C], /) -> Source[A | B | C]: ...
@overload
def concat(a: Source[A], b: Source[B], c: Source[C], d: Source[D], /, *rest: Source[T]) -> Source[A | B | C | D | T]: ...
def concat(first: Source[Any], /, *rest: Source[Any]) -> Source[Any]:
    return checked_source("concat", first).concat(*rest)


@overload
def zip(a: Source[A], b: Source[B], /) -> Source[tuple[A, B]]: ...
@overload
def zip(a: Source[A], b: Source[B], c: Source[C], /) -> Source[tuple[A, B, C]]: ...
@overload
def zip(a: Source[A], b: Source[B], c: Source[C], d: Source[D], /) -> Source[tuple[A, B, C, D]]: ...
@overload
def zip(a: Source[A], b: Source[B], c: Source[C], d: Source[D], e: Source[C5], /) -> Source[tuple[A, B, C, D, C5]]: ...
@overload
def zip(
    a: Source[A], b: Source[B], c: Source[C], d: Source[D], e: Source[C5], f: Source[C6], /
) -> Source[tuple[A, B, C, D, C5, C6]]: ...
@overload
def zip(
    a: Source[object],
    b: Source[object],
    c: Source[object],
    d: Source[object],
    e: Source[object],
    f: Source[object],
    g: Source[object],
    /,
    *rest: Source[object],
) -> Source[tuple[object, ...]]: ...
def zip(first: Source[Any], /, *rest: Source[Any]) -> Source[tuple[Any, ...]]:
    return cast("Source[tuple[Any, ...]]", checked_source("zip", first).zip(*rest))
