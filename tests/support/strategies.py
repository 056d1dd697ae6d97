"""Shared Hypothesis strategies: elements x random chunkings x operator chains with fusion boundaries.

Every operator is drawn as an ``OpSpec``: a typedstream stage together with its model. A model is a lazy
generator over plain Python iterators (``Iterator[int] -> Iterator[int]``). Pulling the last model generator
is per-element, pull-based evaluation with no chunks, no prefetch and no concurrency, so it says exactly what
the engine must deliver -- including which elements come out before an error, and whether a ``take`` further
down is satisfied before an upstream failure is ever reached.

New operators join here (one spec builder and one line in ``ordered_specs``) and are then tested against the
list model by every law in ``tests/laws/``.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from hypothesis import strategies as st

import typedstream as ts
from typedstream._engine import prechunked

__all__ = [
    "IDENTITY",
    "MAP_FUNCTIONS",
    "PREDICATES",
    "AsyncElements",
    "Built",
    "Chain",
    "OpSpec",
    "SourceSpec",
    "Stage",
    "append_count",
    "asyncify",
    "batch_flatten_spec",
    "batch_total_spec",
    "buffer_spec",
    "chains",
    "chunk_source",
    "chunkings",
    "concurrencies",
    "elements",
    "elementwise_specs",
    "failing_spec",
    "failing_specs",
    "filter_spec",
    "guarded_spec",
    "permanent",
    "index_plus",
    "is_even",
    "map_functions",
    "mod5",
    "new_list",
    "ordered_specs",
    "plus",
    "shift_add",
    "sources_for",
    "take_spec",
    "take_while_spec",
    "unordered_specs",
]

R = TypeVar("R")

Model = Callable[[Iterator[int]], Iterator[int]]

IDENTITY: ts.Stream[int, int] = ts.Stream[int, int](())
"""The empty chain: ``IDENTITY | s`` is ``s``."""

# ------------------------------------------------------------------------------------------------ elements

elements: st.SearchStrategy[list[int]] = st.lists(st.integers(-20, 20), max_size=40)
"""Small ints, so that filters, distinct and take_while predicates are often true and often false."""

concurrencies: st.SearchStrategy[int] = st.integers(2, 4)


# ---------------------------------------------------------------------------------------- pure functions


def add1(x: int) -> int:
    return x + 1


def double(x: int) -> int:
    return 2 * x


def negate(x: int) -> int:
    return -x


def square_mod(x: int) -> int:
    return x * x % 17


def halve(x: int) -> int:
    return x // 2


MAP_FUNCTIONS: tuple[Callable[[int], int], ...] = (add1, double, negate, square_mod, halve)
map_functions: st.SearchStrategy[Callable[[int], int]] = st.sampled_from(MAP_FUNCTIONS)


def is_even(x: int) -> bool:
    return x % 2 == 0


def is_positive(x: int) -> bool:
    return x > 0


def not_div3(x: int) -> bool:
    return x % 3 != 0


def below10(x: int) -> bool:
    return x < 10


PREDICATES: tuple[Callable[[int], bool], ...] = (is_even, is_positive, not_div3, below10)


def twice(x: int) -> list[int]:
    return [x, x]


def drop_div3(x: int) -> list[int]:
    return [] if x % 3 == 0 else [x]


def upto(x: int) -> Iterable[int]:
    return range(x % 3)  # 0, 1 or 2 elements, as a lazy iterable


def pair(x: int) -> tuple[int, int]:
    return (x, x + 1)


FLAT_FUNCTIONS: tuple[Callable[[int], Iterable[int]], ...] = (twice, drop_div3, upto, pair)


def plus(acc: int, x: int) -> int:
    return acc + x


def bigger(acc: int, x: int) -> int:
    return max(acc, x)


def shift_add(acc: int, x: int) -> int:
    return (acc * 3 + x) % 1000


def mod5(x: int) -> int:
    return x % 5


def total(xs: list[int]) -> int:
    return sum(xs)


def asyncify(f: Callable[[int], R]) -> Callable[[int], Coroutine[Any, Any, R]]:
    """An ``async def`` version of ``f`` that yields to the loop ``x % 3`` times first, so that concurrent
    calls finish out of order."""

    async def call(x: int) -> R:
        for _ in range(x % 3):
            await asyncio.sleep(0)
        return f(x)

    call.__name__ = call.__qualname__ = f"async_{getattr(f, '__name__', 'f')}"
    return call


def awaitable(f: Callable[[int], R]) -> Callable[[int], Coroutine[Any, Any, R]]:
    """A plain (non-``async def``) callable that returns a coroutine: the engine only finds out at run time."""
    af = asyncify(f)
    return lambda x: af(x)


def async_gen(f: Callable[[int], Iterable[int]]) -> Callable[[int], AsyncIterator[int]]:
    async def gen(x: int) -> AsyncIterator[int]:
        for y in f(x):
            await asyncio.sleep(0)
            yield y

    return gen


# ------------------------------------------------------------------------------------------------ sources


class IterableOnly:
    """A re-iterable that is not a list/tuple/range, so the engine reads it with ``islice``."""

    def __init__(self, xs: Sequence[int]) -> None:
        self.xs = list(xs)

    def __iter__(self) -> Iterator[int]:
        return iter(self.xs)


class AsyncElements:
    """A re-iterable async source: every run gets a fresh async generator. ``pulled`` records what it gave."""

    def __init__(self, xs: Sequence[int], pause_every: int = 1) -> None:
        self.xs = list(xs)
        self.pause_every = pause_every
        self.pulled: list[int] = []

    def __aiter__(self) -> AsyncIterator[int]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[int]:
        for i, x in enumerate(self.xs):
            if i % self.pause_every == 0:
                await asyncio.sleep(0)
            self.pulled.append(x)
            yield x


@dataclass(frozen=True, eq=False)
class SourceSpec:
    """A way to feed a list to the engine. ``make()`` builds a fresh Source (some origins are stateful)."""

    label: str
    make: Callable[[], ts.Source[int]]

    def __repr__(self) -> str:
        return self.label


@st.composite
def chunkings(draw: st.DrawFn, xs: Sequence[int]) -> list[list[int]]:
    """``xs`` split at random points; empty chunks included (the engine must skip them)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(xs)), max_size=len(xs) + 3)))
    bounds = [0, *cuts, len(xs)]
    return [list(xs[a:b]) for a, b in itertools.pairwise(bounds)]


def chunk_source(chunks: list[list[int]]) -> SourceSpec:
    return SourceSpec(f"Source(Origin('chunks', {chunks!r}))", lambda: ts.Source[int](prechunked(chunks)))


def _sized_source(xs: list[int], k: int) -> SourceSpec:
    return SourceSpec(f"source({xs!r}, chunk_size={k})", lambda: ts.source(xs, chunk_size=k))


def _iterable_source(xs: list[int], k: int | None) -> SourceSpec:
    return SourceSpec(f"source(IterableOnly({xs!r}), chunk_size={k})", lambda: ts.source(IterableOnly(xs), chunk_size=k))


def _async_source(xs: list[int], pause: int, k: int | None) -> SourceSpec:
    return SourceSpec(
        f"source(AsyncElements({xs!r}, pause_every={pause}), chunk_size={k})",
        lambda: ts.source(AsyncElements(xs, pause), chunk_size=k),
    )


def sources_for(xs: Sequence[int]) -> st.SearchStrategy[SourceSpec]:
    """Every way the engine can receive ``xs``: explicit random chunks, growing chunks from a list, fixed
    ``chunk_size``, a plain iterable and an async iterable (element by element, or grouped)."""
    items = list(xs)
    sizes = st.integers(1, 8)
    return st.one_of(
        chunkings(items).map(chunk_source),
        st.just(SourceSpec(f"source({items!r})", lambda: ts.source(items))),
        sizes.map(lambda k: _sized_source(items, k)),
        st.one_of(st.none(), sizes).map(lambda k: _iterable_source(items, k)),
        st.builds(functools.partial(_async_source, items), st.integers(1, 3), st.one_of(st.none(), sizes)),
    )


# ---------------------------------------------------------------------------------------- stages and models


@dataclass(eq=False)
class Stage:
    """One built stage: the library stream and its model, plus a tap's recorded calls (library and model)."""

    stream: ts.Stream[int, int]
    model: Model
    calls: list[int] | None = None
    model_calls: list[int] | None = None


@dataclass(frozen=True, eq=False)
class OpSpec:
    """A drawable operator. ``make()`` builds a fresh Stage (fresh recorders) for every run."""

    label: str
    make: Callable[[], Stage]
    reorders: bool = False
    """An unordered concurrent stage: results are compared as multisets."""
    limits: bool = False
    """May stop pulling before its input ends (take, take_while)."""
    concurrent: Callable[[int], OpSpec] | None = None
    """The same stage run with ``concurrency=n`` (ordered): prefetching must change no result."""

    def __repr__(self) -> str:
        return self.label


def _mode_label(kind: str, fname: str, mode: str, c: int, ordered: bool) -> str:
    opts = f", concurrency={c}" if c > 1 else ""
    opts += ", ordered=False" if not ordered else ""
    return f"{kind}({mode}:{fname}{opts})"


def map_spec(f: Callable[[int], int], mode: str, c: int = 1, ordered: bool = True) -> OpSpec:
    """mode: "sync" (fused when c == 1), "async" (an ``async def``), "awaitable" (a lambda returning a
    coroutine: fused, awaited by the engine)."""

    def make() -> Stage:
        if mode == "sync":
            s = ts.map(f, of=int, concurrency=c, ordered=ordered)
        elif mode == "async":
            s = IDENTITY.map(asyncify(f), concurrency=c, ordered=ordered)
        else:
            s = ts.map(awaitable(f), of=int, concurrency=c, ordered=ordered)
        return Stage(s, lambda it: (f(x) for x in it))

    return OpSpec(
        _mode_label("map", f.__name__, mode, c, ordered),
        make,
        reorders=not ordered and c > 1,
        concurrent=lambda n: map_spec(f, mode, n, ordered),
    )


def filter_spec(p: Callable[[int], bool], mode: str, c: int = 1, ordered: bool = True) -> OpSpec:
    def make() -> Stage:
        if mode == "sync":
            s = ts.filter(p, of=int, concurrency=c, ordered=ordered)
        elif mode == "async":
            s = ts.filter(asyncify(p), of=int, concurrency=c, ordered=ordered)
        else:
            s = IDENTITY.filter(awaitable(p), concurrency=c, ordered=ordered)
        return Stage(s, lambda it: (x for x in it if p(x)))

    return OpSpec(
        _mode_label("filter", p.__name__, mode, c, ordered),
        make,
        reorders=not ordered and c > 1,
        concurrent=lambda n: filter_spec(p, mode, n, ordered),
    )


def flat_map_spec(f: Callable[[int], Iterable[int]], mode: str, c: int = 1, ordered: bool = True) -> OpSpec:
    """mode: "sync", "async" (returns a list), "asyncgen" (an async generator function)."""

    def make() -> Stage:
        if mode == "sync":
            s = ts.flat_map(f, of=int, concurrency=c, ordered=ordered)
        elif mode == "async":
            s = ts.flat_map(asyncify(lambda x: list(f(x))), of=int, concurrency=c, ordered=ordered)
        else:
            s = IDENTITY.flat_map(async_gen(f), concurrency=c, ordered=ordered)
        return Stage(s, lambda it: (y for x in it for y in f(x)))

    return OpSpec(
        _mode_label("flat_map", f.__name__, mode, c, ordered),
        make,
        reorders=not ordered and c > 1,
        concurrent=lambda n: flat_map_spec(f, mode, n, ordered),
    )


def tap_spec(mode: str, c: int = 1, ordered: bool = True) -> OpSpec:
    """A tap that records its calls; the model records the elements it is pulled for."""

    def make() -> Stage:
        calls: list[int] = []
        model_calls: list[int] = []

        def record(x: int) -> None:
            calls.append(x)

        async def record_async(x: int) -> None:
            calls.append(x)  # before yielding: the record is in call order
            for _ in range(x % 3):
                await asyncio.sleep(0)

        if mode == "sync":
            s = ts.tap(record, of=int, concurrency=c, ordered=ordered)
        elif mode == "async":
            s = IDENTITY.tap(record_async, concurrency=c, ordered=ordered)
        else:
            s = ts.tap(lambda x: record_async(x), of=int, concurrency=c, ordered=ordered)

        def model(it: Iterator[int]) -> Iterator[int]:
            for x in it:
                model_calls.append(x)
                yield x

        return Stage(s, model, calls, model_calls)

    return OpSpec(
        _mode_label("tap", "record", mode, c, ordered),
        make,
        reorders=not ordered and c > 1,
        concurrent=lambda n: tap_spec(mode, n, ordered),
    )


def take_spec(n: int) -> OpSpec:
    def model(it: Iterator[int]) -> Iterator[int]:
        if n <= 0:
            return
        for i, x in enumerate(it, 1):
            yield x
            if i >= n:
                return  # the next element is never pulled

    return OpSpec(f"take({n})", lambda: Stage(IDENTITY | ts.take(n), model), limits=True)


def skip_spec(n: int) -> OpSpec:
    return OpSpec(
        f"skip({n})",
        lambda: Stage(IDENTITY.skip(n), lambda it: itertools.islice(it, n, None)),
    )


def take_while_spec(p: Callable[[int], bool], mode: str) -> OpSpec:
    def make() -> Stage:
        s = ts.take_while(p, of=int) if mode == "sync" else IDENTITY.take_while(asyncify(p))
        return Stage(s, lambda it: itertools.takewhile(p, it))

    return OpSpec(f"take_while({mode}:{p.__name__})", make, limits=True)


def _batches(n: int, it: Iterator[int]) -> Iterator[list[int]]:
    group: list[int] = []
    for x in it:
        group.append(x)
        if len(group) == n:
            yield group
            group = []
    if group:
        yield group


def batch_flatten_spec(n: int) -> OpSpec:
    return OpSpec(
        f"batch({n}) | flatten()",
        lambda: Stage(IDENTITY | ts.batch(n) | ts.flatten(), lambda it: itertools.chain.from_iterable(_batches(n, it))),
    )


def batch_total_spec(n: int) -> OpSpec:
    return OpSpec(
        f"batch({n}).map(total)",
        lambda: Stage(IDENTITY.batch(n).map(total), lambda it: (total(b) for b in _batches(n, it))),
    )


def _scan_model(init: int, f: Callable[[int, int], int]) -> Model:
    def model(it: Iterator[int]) -> Iterator[int]:
        acc = init
        for x in it:
            acc = f(acc, x)
            yield acc

    return model


def scan_spec(init: int, f: Callable[[int, int], int], method: bool) -> OpSpec:
    def make() -> Stage:
        s = IDENTITY.scan(init, f) if method else ts.scan(init, f, of=int)
        return Stage(s, _scan_model(init, f))

    return OpSpec(f"scan({init}, {f.__name__})", make)


def new_list() -> list[int]:
    return []


def append_count(state: list[int], x: int) -> tuple[list[int], int]:
    """Mutable state from a factory: a factory called once per build, not per run, would show here."""
    state.append(x)
    return state, len(state) * 100 + x


def index_plus(state: int, x: int) -> tuple[int, int]:
    return state + 1, state + x


def stateful_map_spec(factory: bool) -> OpSpec:
    def make() -> Stage:
        if factory:
            s = ts.stateful_map(new_list, append_count, of=int)

            def model_factory(it: Iterator[int]) -> Iterator[int]:
                state = new_list()
                for x in it:
                    state, out = append_count(state, x)
                    yield out

            return Stage(s, model_factory)

        s = IDENTITY.stateful_map(0, index_plus)

        def model_value(it: Iterator[int]) -> Iterator[int]:
            state = 0
            for x in it:
                state, out = index_plus(state, x)
                yield out

        return Stage(s, model_value)

    label = "stateful_map(new_list, append_count)" if factory else "stateful_map(0, index_plus)"
    return OpSpec(label, make)


def _distinct_model(key: Callable[[int], int]) -> Model:
    def model(it: Iterator[int]) -> Iterator[int]:
        seen: set[int] = set()
        for x in it:
            k = key(x)
            if k not in seen:
                seen.add(k)
                yield x

    return model


def distinct_spec(keyed: bool) -> OpSpec:
    if keyed:
        return OpSpec(
            "distinct(mod5)",
            lambda: Stage(ts.distinct(mod5, of=int), _distinct_model(mod5)),
        )
    return OpSpec("distinct()", lambda: Stage(IDENTITY | ts.distinct(), _distinct_model(lambda x: x)))


def buffer_spec(n: int) -> OpSpec:
    return OpSpec(f"buffer({n})", lambda: Stage(IDENTITY | ts.buffer(n), lambda it: it))


async def async_identity(x: int) -> int:
    return x


def boundary_spec() -> OpSpec:
    """An async identity map: an async boundary that splits the fused segment around it."""
    return OpSpec("map(async_identity)", lambda: Stage(ts.map(async_identity, of=int), lambda it: it))


def permanent(x: int) -> bool:
    return x % 4 == 1


GUARD_RETRY = ts.Retry(3, ts.Backoff.none(), retry_on=(ConnectionError,))


def guarded_spec(kind: str, mode: str, c: int = 1, ordered: bool = True) -> OpSpec:
    """map / filter / flat_map / tap with ``retry=`` and ``on_error="skip"``: the function fails once on the
    first call for each value with ``x % 3 == 0`` (a ``ConnectionError``, retried) and always on
    ``permanent(x)`` (a ``ValueError``, skipped). The model drops the permanent failures and nothing else."""

    def make() -> Stage:
        seen: set[int] = set()

        def check(x: int) -> None:
            if permanent(x):
                raise ValueError(f"permanent failure on {x}")
            if x % 3 == 0 and x not in seen:
                seen.add(x)
                raise ConnectionError(f"transient failure on {x}")

        def f_map(x: int) -> int:
            check(x)
            return 2 * x

        def f_filter(x: int) -> bool:
            check(x)
            return is_even(x)

        def f_flat(x: int) -> list[int]:
            check(x)
            return [x, x]

        def f_tap(x: int) -> None:
            check(x)

        fns: dict[str, Callable[[int], Any]] = {"map": f_map, "filter": f_filter, "flat_map": f_flat, "tap": f_tap}
        f = fns[kind]
        fn: Callable[[int], Any] = f if mode == "sync" else asyncify(f) if mode == "async" else awaitable(f)
        opts: ts.ElementOptions[int] = {
            "concurrency": c, "ordered": ordered, "retry": GUARD_RETRY, "on_error": "skip", "name": "guarded"
        }
        s: ts.Stream[int, Any]
        if kind == "map":
            s = ts.map(fn, of=int, **opts)
        elif kind == "filter":
            s = ts.filter(fn, of=int, **opts)
        elif kind == "flat_map":
            s = ts.flat_map(cast(Callable[[int], Iterable[int]], fn), of=int, **opts)
        else:
            s = ts.tap(fn, of=int, **opts)

        def model(it: Iterator[int]) -> Iterator[int]:
            for x in it:
                if permanent(x):
                    continue
                if kind == "map":
                    yield 2 * x
                elif kind == "filter":
                    if is_even(x):
                        yield x
                elif kind == "flat_map":
                    yield from (x, x)
                else:
                    yield x

        return Stage(cast(ts.Stream[int, int], s), model)

    return OpSpec(
        _mode_label(f"{kind}[retry+skip]", "guarded", mode, c, ordered),
        make,
        reorders=not ordered and c > 1,
        concurrent=lambda n: guarded_spec(kind, mode, n, ordered),
    )


# ------------------------------------------------------------------------------------------------ strategies

_fns = st.sampled_from(MAP_FUNCTIONS)
_preds = st.sampled_from(PREDICATES)
_flats = st.sampled_from(FLAT_FUNCTIONS)
_scans = st.sampled_from((plus, bigger, shift_add))


def _element_specs(*, ordered: bool, pooled: bool) -> st.SearchStrategy[OpSpec]:
    """map / filter / flat_map / tap in every execution mode."""
    cs = concurrencies if pooled else st.just(1)
    modes = st.sampled_from(("sync", "async", "awaitable"))
    return st.one_of(
        st.builds(map_spec, _fns, modes, cs, st.just(ordered)),
        st.builds(filter_spec, _preds, modes, cs, st.just(ordered)),
        st.builds(flat_map_spec, _flats, st.sampled_from(("sync", "async", "asyncgen")), cs, st.just(ordered)),
        st.builds(tap_spec, modes, cs, st.just(ordered)),
        st.builds(guarded_spec, st.sampled_from(("map", "filter", "flat_map", "tap")), modes, cs, st.just(ordered)),
    )


def elementwise_specs() -> st.SearchStrategy[OpSpec]:
    """Ordered stages whose output multiset depends only on their input multiset."""
    return st.one_of(
        _element_specs(ordered=True, pooled=False),
        _element_specs(ordered=True, pooled=True),
        st.integers(1, 4).map(batch_flatten_spec),
        st.just(distinct_spec(False)),
        st.integers(1, 6).map(buffer_spec),
        st.just(boundary_spec()),
    )


def ordered_specs() -> st.SearchStrategy[OpSpec]:
    """Every operator that keeps order (sync fused, async, pooled-ordered, boundaries)."""
    return st.one_of(
        _element_specs(ordered=True, pooled=False),
        st.integers(0, 12).map(take_spec),
        st.integers(0, 12).map(skip_spec),
        st.builds(take_while_spec, _preds, st.sampled_from(("sync", "async"))),
        st.integers(1, 4).map(batch_flatten_spec),
        st.integers(1, 4).map(batch_total_spec),
        st.builds(scan_spec, st.integers(-3, 3), _scans, st.booleans()),
        st.booleans().map(stateful_map_spec),
        st.booleans().map(distinct_spec),
        st.integers(1, 6).map(buffer_spec),
        st.just(boundary_spec()),
        _element_specs(ordered=True, pooled=True),
    )


def unordered_specs() -> st.SearchStrategy[OpSpec]:
    """Concurrent stages with ``ordered=False``."""
    return _element_specs(ordered=False, pooled=True)


@st.composite
def chains(draw: st.DrawFn, *, max_ops: int = 6, unordered: bool = True) -> Chain:
    """Random chains. With ``unordered``, an unordered stage may appear, followed only by element-wise stages,
    so the final result is still determined as a multiset."""
    specs = draw(st.lists(ordered_specs(), max_size=max_ops))
    if unordered and draw(st.booleans()):
        specs.append(draw(unordered_specs()))
        specs.extend(draw(st.lists(elementwise_specs(), max_size=2)))
    return Chain(tuple(specs))


# -------------------------------------------------------------------------------------------------- failures


def failing_spec(kind: str, mode: str, target: int, c: int = 1) -> OpSpec:
    """A stage named "boom" whose function raises ``ValueError`` on ``target`` (in library and model alike)."""

    def check(x: int) -> None:
        if x == target:
            raise ValueError(f"boom on {x}")

    def f_map(x: int) -> int:
        check(x)
        return x + 100

    def f_filter(x: int) -> bool:
        check(x)
        return x % 2 == 0

    def f_flat(x: int) -> list[int]:
        check(x)
        return [x, x]

    def f_tap(x: int) -> None:
        check(x)

    def model_map(it: Iterator[int]) -> Iterator[int]:
        return (f_map(x) for x in it)

    def model_filter(it: Iterator[int]) -> Iterator[int]:
        return (x for x in it if f_filter(x))

    def model_flat(it: Iterator[int]) -> Iterator[int]:
        return (y for x in it for y in f_flat(x))

    def model_tap(it: Iterator[int]) -> Iterator[int]:
        for x in it:
            f_tap(x)
            yield x

    def make() -> Stage:
        s: ts.Stream[int, int]
        model: Model
        if kind == "map":
            model = model_map
            if mode == "sync":
                s = ts.map(f_map, of=int, concurrency=c, name="boom")
            elif mode == "async":
                s = ts.map(asyncify(f_map), of=int, concurrency=c, name="boom")
            else:
                s = ts.map(awaitable(f_map), of=int, concurrency=c, name="boom")
        elif kind == "filter":
            model = model_filter
            if mode == "sync":
                s = ts.filter(f_filter, of=int, concurrency=c, name="boom")
            elif mode == "async":
                s = ts.filter(asyncify(f_filter), of=int, concurrency=c, name="boom")
            else:
                s = ts.filter(awaitable(f_filter), of=int, concurrency=c, name="boom")
        elif kind == "flat_map":
            model = model_flat
            if mode == "sync":
                s = ts.flat_map(f_flat, of=int, concurrency=c, name="boom")
            elif mode == "async":
                s = ts.flat_map(asyncify(f_flat), of=int, concurrency=c, name="boom")
            else:
                s = ts.flat_map(awaitable(f_flat), of=int, concurrency=c, name="boom")
        else:
            model = model_tap
            if mode == "sync":
                s = ts.tap(f_tap, of=int, concurrency=c, name="boom")
            elif mode == "async":
                s = ts.tap(asyncify(f_tap), of=int, concurrency=c, name="boom")
            else:
                s = ts.tap(awaitable(f_tap), of=int, concurrency=c, name="boom")
        return Stage(s, model)

    opts = f", concurrency={c}" if c > 1 else ""
    return OpSpec(f"{kind}({mode}: raises ValueError on {target}{opts}, name='boom')", make)


def failing_specs(target: int, *, pooled: bool = False) -> st.SearchStrategy[OpSpec]:
    """A failing map/filter/flat_map/tap: sync (fused), awaitable (fused, awaited) or async (concurrency=1);
    with ``pooled``, concurrency 2..4 instead."""
    kinds = st.sampled_from(("map", "filter", "flat_map", "tap"))
    modes = st.sampled_from(("sync", "awaitable", "async"))
    cs = concurrencies if pooled else st.just(1)
    return st.builds(failing_spec, kinds, modes, st.just(target), cs)


# ---------------------------------------------------------------------------------------------------- chains


@dataclass(frozen=True, eq=False)
class Chain:
    """A drawn chain of OpSpecs. ``build()`` makes fresh stages (and fresh tap recorders) for one run."""

    specs: tuple[OpSpec, ...] = ()

    def __repr__(self) -> str:
        return "Chain(" + (" | ".join(map(repr, self.specs)) or "<empty>") + ")"

    def __add__(self, other: Chain) -> Chain:
        return Chain(self.specs + other.specs)

    @property
    def reorders(self) -> bool:
        return any(s.reorders for s in self.specs)

    def build(self) -> Built:
        return Built(self.specs, [s.make() for s in self.specs])


class Built:
    """Fresh stages for one run, and the model of the same chain. Evaluate the model once per Built."""

    def __init__(self, specs: tuple[OpSpec, ...], stages: list[Stage]) -> None:
        self.specs = specs
        self.stages = stages

    def part(self, start: int, stop: int) -> ts.Stream[int, int]:
        """stages[start:stop] composed with ``|`` (IDENTITY when empty)."""
        parts = self.stages[start:stop]
        if not parts:
            return IDENTITY
        s = parts[0].stream
        for stage in parts[1:]:
            s = s | stage.stream
        return s

    @property
    def stream(self) -> ts.Stream[int, int]:
        return self.part(0, len(self.stages))

    def apply(self, src: ts.Source[int]) -> ts.Source[int]:
        """``src | s1 | s2 | ...`` one stage at a time."""
        for stage in self.stages:
            src = src | stage.stream
        return src

    def model(self, xs: Iterable[int]) -> Iterator[int]:
        it: Iterator[int] = iter(xs)
        for stage in self.stages:
            it = stage.model(it)
        return it

    def expected(self, xs: Iterable[int]) -> list[int]:
        return list(self.model(xs))

    def expected_until_error(self, xs: Iterable[int]) -> tuple[list[int], ValueError | None]:
        """What per-element pulling delivers: the outputs before the first ValueError, and that error."""
        out: list[int] = []
        try:
            for y in self.model(xs):
                out.append(y)
        except ValueError as e:
            return out, e
        return out, None

    def check_taps(self, *, complete: bool) -> None:
        """Each tap was called on exactly the elements the model pulled through it when the run completed and
        nothing after the tap stops early; otherwise the model's calls are a prefix of the library's (bounded
        prefetch may call a tap on a few more elements)."""
        for i, (spec, stage) in enumerate(zip(self.specs, self.stages)):
            if stage.calls is None or stage.model_calls is None:
                continue
            exact = complete and not any(s.limits for s in self.specs[i + 1 :])
            unordered = any(s.reorders for s in self.specs[: i + 1])
            if unordered:
                assert exact, f"{spec!r}: an unordered stage is followed by a limiting stage"
                assert Counter(stage.calls) == Counter(stage.model_calls), f"tap {i} calls"
            elif exact:
                assert stage.calls == stage.model_calls, f"tap {i} ({spec!r}) calls"
            else:
                assert stage.calls[: len(stage.model_calls)] == stage.model_calls, f"tap {i} ({spec!r}) calls"
