"""Laws, checked against a plain list model (``tests/strategies.py``) over random elements, chunkings and chains.

Each property is an async Hypothesis test (pytest-asyncio runs every example on the test's loop). Every example
also checks rule 23 for itself, with ``example_scope()``: no task pending and no async generator left open
that was not open before the example, so a leak is reported with the example that caused it.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import (
    MAP_FUNCTIONS,
    PREDICATES,
    AsyncElements,
    Chain,
    SourceSpec,
    append_count,
    asyncify,
    batch_flatten_spec,
    batch_total_spec,
    buffer_spec,
    chains,
    chunk_source,
    chunkings,
    concurrencies,
    elements,
    failing_spec,
    failing_specs,
    filter_spec,
    index_plus,
    is_even,
    mod5,
    new_list,
    plus,
    shift_add,
    sources_for,
    take_spec,
    take_while_spec,
)

import typedstream as ts
from typedstream._engine import prechunked

LAWS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], report_multiple_bugs=False
)
FEW = settings(LAWS, max_examples=60)


# ------------------------------------------------------------------------------------------------- helpers


def _open_generators(loop: asyncio.AbstractEventLoop) -> list[object]:
    gens: Iterable[object] = getattr(loop, "_asyncgens", ())
    return [
        ag
        for ag in list(gens)
        if getattr(ag, "ag_frame", None) is not None and not getattr(ag, "ag_running", False)
    ]


class example_scope:  # noqa: N801 - used like a function: ``with example_scope():``
    """Rule 23 for one Hypothesis example: on a clean exit, no other task is pending, no async generator opened
    during the example is still open, and nothing was reported as unraisable (a coroutine never awaited, an
    error in a finalizer). Checked per example, so Hypothesis shrinks and reports the example that leaked."""

    def __enter__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.before = _open_generators(self.loop)
        self.unraisable: list[str] = []
        self.old_hook = sys.unraisablehook
        sys.unraisablehook = self._hook
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine ... was never awaited" becomes unraisable

    def _hook(self, u: sys.UnraisableHookArgs) -> None:
        self.unraisable.append(f"{u.exc_type.__name__}: {u.exc_value} ({u.err_msg or 'in'} {u.object!r})")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.warnings.__exit__(None, None, None)
        sys.unraisablehook = self.old_hook
        if exc_type is not None:
            return
        assert not self.unraisable, f"unraisable exceptions during the run: {self.unraisable}"
        me = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks(self.loop) if t is not me and not t.done()]
        assert not pending, f"tasks still pending after the run: {pending}"
        before = {id(g) for g in self.before}
        leaked = [g for g in _open_generators(self.loop) if id(g) not in before]
        assert not leaked, f"async generators left open after the run: {leaked}"


def same(got: Sequence[object], want: Sequence[object], *, unordered: bool) -> None:
    if unordered:
        assert Counter(got) == Counter(want), f"as multisets: got {list(got)}, want {list(want)}"
    else:
        assert list(got) == list(want)


CONSUMERS = ("collect", "async_for", "stream", "to_list", "for_each")


async def consume(src: ts.Source[int], how: str) -> list[int]:
    """All the elements, through one of the ways to run a Source."""
    if how == "collect":
        return await src.collect()
    if how == "async_for":
        return [x async for x in src]
    if how == "stream":
        async with src.stream() as it:
            return [x async for x in it]
    if how == "to_list":
        return await src.into(ts.to_list())
    assert how == "for_each"
    got: list[int] = []
    await src.into(ts.for_each(got.append))
    return got


async def consume_until_error(src: ts.Source[int], how: str) -> tuple[list[int], BaseException | None, bool]:
    """(elements received before the error, the error or None, whether the received prefix is observable)."""
    got: list[int] = []
    try:
        if how == "collect":
            got = await src.collect()
            return got, None, True
        if how == "async_for":
            async for x in src:
                got.append(x)
        elif how == "stream":
            async with src.stream() as it:
                async for x in it:
                    got.append(x)
        else:
            assert how == "for_each"
            await src.into(ts.for_each(got.append))
    except Exception as e:
        return got, e, how != "collect"
    return got, None, True


def assert_original_error(err: BaseException | None) -> None:
    """The user's ValueError itself (not an ExceptionGroup, not a wrapper), with a note naming stage 'boom'."""
    assert err is not None, "the run ended without the error"
    assert type(err) is ValueError, f"expected the original ValueError, got {type(err).__name__}: {err!r}"
    notes: list[str] = getattr(err, "__notes__", [])
    assert any("'boom'" in note for note in notes), f"no note names the stage: {notes}"


Case = tuple[list[int], SourceSpec, Chain]


@st.composite
def cases(draw: st.DrawFn, *, unordered: bool = True, max_ops: int = 6) -> Case:
    """Random elements, a random way to feed them in, and a random chain."""
    xs = draw(elements)
    return xs, draw(sources_for(xs)), draw(chains(max_ops=max_ops, unordered=unordered))


# ---------------------------------------------------------------------------------------- differential


@LAWS
@given(cases())
# Pinned: a batch after a take that is satisfied while earlier stages flush at the end of input.
@example(case=([0, 1, 2], chunk_source([[0, 1, 2]]), Chain((batch_flatten_spec(2), take_spec(3), batch_total_spec(2)))))
async def test_chain_matches_list_model(case: Case) -> None:
    """``await src.collect()`` equals the list model, for any chain, elements and chunking."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        got = await built.apply(spec.make()).collect()
        same(got, built.expected(xs), unordered=chain.reorders)
        built.check_taps(complete=True)


@LAWS
@given(cases(), st.sampled_from(CONSUMERS))
# Pinned: a filter whose (non-async) function returns coroutines, over more than one chunk.
@example(case=([0, 1], chunk_source([[0], [1]]), Chain((filter_spec(is_even, "awaitable"),))), how="collect")
async def test_every_consumer_sees_the_model(case: Case, how: str) -> None:
    """``async for``, ``stream()``, ``into(to_list())`` and ``into(for_each(...))`` agree with the model; the
    chain is composed into one Stream first (``src | (s1 | s2 | ...)``)."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        got = await consume(spec.make() | built.stream, how)
        same(got, built.expected(xs), unordered=chain.reorders)
        built.check_taps(complete=True)


@FEW
@given(cases())
async def test_every_element_in_is_accounted_for_by_each_stage(case: Case) -> None:
    """No silent loss: in every stage that is not reshaping, in = out + filtered + skipped + failed; stages
    pass their output to the next; the run's count is the last stage's output."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        report = await built.apply(spec.make()).run()
        assert report.items == len(built.expected(xs))
        limited = any(s.limits for s in chain.specs)
        if not limited:
            assert report.items_in == len(xs)
        for s in report.stages:
            assert min(s.items_in, s.items_out, s.skipped, s.failed, s.retried, s.filtered) >= 0, s
            if s.kind != "source" and s.kind not in ts.StageMetrics.RESHAPING:
                assert s.items_in == s.items_out + s.filtered + s.skipped + s.failed, s
        if not limited:  # a completed run: every stage received exactly what the one before it passed on
            outs = [s.items_out for s in report.stages]
            ins = [s.items_in for s in report.stages[1:]]
            assert ins == outs[:-1], report.stages
        assert report.stages[-1].items_out == report.items or not report.stages[1:]


def snoc(acc: tuple[int, ...], x: int) -> tuple[int, ...]:
    return (*acc, x)


@FEW
@given(cases(), st.sampled_from(("count", "fold", "first", "run")))
async def test_aggregating_sinks_see_the_model(case: Case, how: str) -> None:
    """``into(count())``, ``into(fold(...))``, ``into(first())`` and ``run()`` agree with the model."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        src = built.apply(spec.make())
        if how == "first":
            want = list(itertools.islice(built.model(xs), 1))  # first() pulls one element, then stops
            if not want:
                try:
                    await src.into(ts.first())
                except ts.EmptyStreamError:
                    pass
                else:
                    raise AssertionError("first() on an empty stream did not raise EmptyStreamError")
            elif chain.reorders:
                assert await src.into(ts.first()) in built.expected(xs)
            else:
                assert await src.into(ts.first()) == want[0]
            return
        want = built.expected(xs)
        if how == "count":
            assert await src.into(ts.count()) == len(want)
        elif how == "run":
            assert (await src.run()).items == len(want)
        else:
            empty: tuple[int, ...] = ()
            folded = await src.into(ts.fold(empty, snoc))
            same(folded, want, unordered=chain.reorders)
        built.check_taps(complete=True)


@LAWS
@given(cases(unordered=False), st.integers(0, 12))
async def test_break_after_k_delivers_the_model_prefix(case: Case, k: int) -> None:
    """Leaving ``async with src.stream()`` after k elements: those are the model's first k, and everything is
    closed when the block is left."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        got: list[int] = []
        async with built.apply(spec.make()).stream() as it:
            async for x in it:
                if len(got) == k:
                    break
                got.append(x)
        assert got == list(itertools.islice(built.model(xs), k))
        built.check_taps(complete=False)


# ----------------------------------------------------------------------------------------- rule 20: chunks


@st.composite
def two_feeds(draw: st.DrawFn) -> tuple[list[int], SourceSpec, SourceSpec, Chain]:
    xs = draw(elements)
    return xs, draw(sources_for(xs)), draw(sources_for(xs)), draw(chains())


@LAWS
@given(two_feeds())
async def test_rechunking_the_input_changes_nothing(feeds: tuple[list[int], SourceSpec, SourceSpec, Chain]) -> None:
    """Rule 20: the same elements, chunked two different ways, give the same result."""
    xs, one, other, chain = feeds
    with example_scope():
        b1, b2 = chain.build(), chain.build()
        got1 = await b1.apply(one.make()).collect()
        got2 = await b2.apply(other.make()).collect()
        same(got1, got2, unordered=chain.reorders)
        same(got1, b1.expected(xs), unordered=chain.reorders)


@FEW
@given(elements, st.data(), chains(), st.integers(1, 8))
async def test_chunk_size_one_equals_one_big_chunk(xs: list[int], data: st.DataObject, chain: Chain, k: int) -> None:
    """Element-by-element chunks, one big chunk and fixed-size chunks all give the same result."""
    with example_scope():
        feeds: list[ts.Source[int]] = [
            ts.Source[int](prechunked([[x] for x in xs])),
            ts.Source[int](prechunked([xs])),
            ts.source(xs, chunk_size=k),
        ]
        results = [await chain.build().apply(feed).collect() for feed in feeds]
        for r in results[1:]:
            same(r, results[0], unordered=chain.reorders)


# --------------------------------------------------------------------------------------- rule 24: algebra


@LAWS
@given(cases(max_ops=7), st.data())
async def test_composition_is_associative(case: Case, data: st.DataObject) -> None:
    """Rule 24: ``(a | b) | c == a | (b | c)`` for Streams, and ``(src | a) | b == src | (a | b)``."""
    xs, spec, chain = case
    n = len(chain.specs)
    i = data.draw(st.integers(0, n), label="i")
    j = data.draw(st.integers(i, n), label="j")
    with example_scope():
        b1, b2, b3 = chain.build(), chain.build(), chain.build()
        left = (b1.part(0, i) | b1.part(i, j)) | b1.part(j, n)
        right = b2.part(0, i) | (b2.part(i, j) | b2.part(j, n))
        got_left = await (spec.make() | left).collect()
        got_right = await (spec.make() | right).collect()
        got_sources = await ((spec.make() | b3.part(0, i)) | b3.part(i, n)).collect()
        same(got_left, got_right, unordered=chain.reorders)
        same(got_sources, got_right, unordered=chain.reorders)
        same(got_left, b1.expected(xs), unordered=chain.reorders)


MAP_MODES = ("sync", "async", "awaitable")


def _mapper(f: Callable[[int], int], mode: str) -> ts.Stream[int, int]:
    if mode == "sync":
        return ts.map(f, of=int)
    if mode == "async":
        return ts.map(asyncify(f), of=int)
    af = asyncify(f)
    return ts.map(lambda x: af(x), of=int)


@LAWS
@given(
    cases(max_ops=3, unordered=False),
    st.sampled_from(MAP_FUNCTIONS),
    st.sampled_from(MAP_FUNCTIONS),
    st.sampled_from(MAP_MODES),
    st.sampled_from(MAP_MODES),
    st.sampled_from(MAP_MODES),
    chains(max_ops=3),
)
async def test_map_then_map_is_map_of_composition(
    case: Case,
    f: Callable[[int], int],
    g: Callable[[int], int],
    mode_f: str,
    mode_g: str,
    mode_gf: str,
    after: Chain,
) -> None:
    """Rule 24: ``map(f) | map(g) == map(lambda x: g(f(x)))``, in any mix of sync and async, inside any chain."""
    xs, spec, before = case

    def g_of_f(x: int) -> int:
        return g(f(x))

    with example_scope():
        b1, a1 = before.build(), after.build()
        b2, a2 = before.build(), after.build()
        two = b1.stream | (_mapper(f, mode_f) | _mapper(g, mode_g)) | a1.stream
        one = b2.stream | _mapper(g_of_f, mode_gf) | a2.stream
        got_two = await (spec.make() | two).collect()
        got_one = await (spec.make() | one).collect()
        same(got_two, got_one, unordered=after.reorders)
        same(got_one, a1.expected(map(g_of_f, b1.model(xs))), unordered=after.reorders)


# -------------------------------------------------------------------------------------- rule 25: prefetch


@LAWS
@given(cases(), st.lists(st.tuples(st.integers(0, 12), st.integers(1, 6)), max_size=3), st.booleans(), concurrencies)
async def test_prefetching_changes_no_result(
    case: Case, buffers: list[tuple[int, int]], pooled: bool, c: int
) -> None:
    """Rule 25: inserting ``buffer(n)`` anywhere, and/or running every map/filter/flat_map/tap with
    ``concurrency=c`` (ordered), changes no result."""
    xs, spec, chain = case
    specs = list(chain.specs)
    if pooled:
        specs = [s.concurrent(c) if s.concurrent is not None and not s.reorders else s for s in specs]
    for pos, n in buffers:
        specs.insert(min(pos, len(specs)), buffer_spec(n))
    variant = Chain(tuple(specs))
    with example_scope():
        base, other = chain.build(), variant.build()
        got_base = await base.apply(spec.make()).collect()
        got_other = await other.apply(spec.make()).collect()
        same(got_other, got_base, unordered=chain.reorders)
        same(got_other, other.expected(xs), unordered=chain.reorders)
        other.check_taps(complete=True)


# --------------------------------------------------------------------------------------------- failures


FailureCase = tuple[list[int], SourceSpec, Chain]


@st.composite
def failure_cases(draw: st.DrawFn, *, pooled: bool = False) -> FailureCase:
    """Random stages before and after a stage named "boom" that raises ValueError on one value; the value is
    usually one that reaches the stage, sometimes one that never does."""
    xs = draw(elements)
    spec = draw(sources_for(xs))
    before = draw(chains(max_ops=3, unordered=False))
    arriving = before.build().expected(xs)
    reaching = bool(arriving) and draw(st.booleans())
    target = draw(st.sampled_from(arriving)) if reaching else draw(st.integers(-30, 30))
    failing = draw(failing_specs(target, pooled=pooled))
    after = draw(chains(max_ops=3, unordered=False))
    return xs, spec, before + Chain((failing,)) + after


@LAWS
@given(failure_cases(), st.sampled_from(("async_for", "stream", "for_each", "collect")))
# Pinned: per element, take_while stops at 101 and 0 is never mapped; a fused chunk must not raise either.
@example(
    case=([1, 0], chunk_source([[1, 0]]), Chain((failing_spec("map", "sync", 0), take_while_spec(is_even, "sync")))),
    how="collect",
)
async def test_failure_delivers_the_prefix_then_the_original_error(case: FailureCase, how: str) -> None:
    """A failure at element i (in a fused chunk, or in an async stage with concurrency=1) behaves as per
    element: the outputs of the elements before i are delivered, then the same ValueError (not wrapped), with
    a note naming the stage. When per-element pulling never reaches the failing element (a ``take`` or
    ``take_while`` further down is satisfied first), there is no error at all."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        want, want_err = built.expected_until_error(xs)
        got, err, visible = await consume_until_error(built.apply(spec.make()), how)
        if want_err is None:
            assert err is None, f"per element the failing element is never reached, yet the run raised {err!r}"
            assert got == want
        else:
            assert_original_error(err)
            if visible:
                assert got == want, "the elements before the failing one"
        built.check_taps(complete=want_err is None)


@FEW
@given(failure_cases(pooled=True), st.sampled_from(("async_for", "stream", "for_each", "collect")))
async def test_failure_with_concurrency_is_a_prefix_then_the_original_error(case: FailureCase, how: str) -> None:
    """With concurrency > 1 the failure surfaces as soon as it occurs (rule 16), so fewer elements may come
    first, and a failing call made ahead of demand may surface; but what comes is a prefix of the model, and
    the error is the original ValueError."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        want, want_err = built.expected_until_error(xs)
        got, err, visible = await consume_until_error(built.apply(spec.make()), how)
        if err is None:
            assert want_err is None, f"the model fails with {want_err!r}, the run did not"
            assert got == want
        else:
            assert_original_error(err)
            if visible:
                assert got == want[: len(got)]


@st.composite
def fused_awaitable_failures(draw: st.DrawFn) -> FailureCase:
    """A fused stage whose plain callable returns coroutines, failing on one element of a multi-element chunk."""
    xs = draw(st.lists(st.integers(-5, 5), min_size=2, max_size=20))
    target = draw(st.sampled_from(xs))
    kind = draw(st.sampled_from(("map", "filter", "flat_map", "tap")))
    return xs, draw(chunkings(xs).map(chunk_source)), Chain((failing_spec(kind, "awaitable", target),))


@FEW
@given(fused_awaitable_failures())
# Pinned: flat_map wraps the user's coroutine in a coroutine of its own; closing the wrapper must close it too.
@example(case=([0, 1, 2], chunk_source([[0, 1, 2]]), Chain((failing_spec("flat_map", "awaitable", 1),))))
async def test_a_failure_closes_the_awaitables_of_the_rest_of_the_chunk(case: FailureCase) -> None:
    """When element i of a fused chunk fails, the coroutines already created for elements after i are closed,
    never left to the garbage collector un-awaited (``example_scope`` reports "never awaited" warnings)."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        want, want_err = built.expected_until_error(xs)
        got, err, _ = await consume_until_error(built.apply(spec.make()), "async_for")
        assert want_err is not None
        assert_original_error(err)
        assert got == want


# ------------------------------------------------------------------------------------------------- combine

Input = tuple[list[int], SourceSpec, Chain]


@st.composite
def inputs(draw: st.DrawFn) -> Input:
    xs = draw(elements)
    return xs, draw(sources_for(xs)), draw(chains(max_ops=3, unordered=False))


def tagger(i: int) -> Callable[[int], tuple[int, int]]:
    def tag(x: int) -> tuple[int, int]:
        return (i, x)

    return tag


@LAWS
@given(st.lists(inputs(), min_size=1, max_size=3), st.booleans())
async def test_merge_interleaves_every_input_in_order(ins: list[Input], method: bool) -> None:
    """``merge`` emits every element of every input once, each input's elements in their own order."""
    with example_scope():
        builts = [chain.build() for _, _, chain in ins]
        tagged = [b.apply(spec.make()).map(tagger(i)) for i, (b, (_, spec, _)) in enumerate(zip(builts, ins))]
        merged = tagged[0].merge(*tagged[1:]) if method else ts.merge(*tagged)
        got = await merged.collect()
        wants = [b.expected(xs) for b, (xs, _, _) in zip(builts, ins)]
        for i, want in enumerate(wants):
            assert [x for j, x in got if j == i] == want, f"input {i}"
            builts[i].check_taps(complete=True)
        assert len(got) == sum(map(len, wants))


@LAWS
@given(st.lists(inputs(), min_size=1, max_size=3), chains(max_ops=3), st.booleans())
async def test_concat_is_list_concatenation(ins: list[Input], after: Chain, method: bool) -> None:
    """``concat(a, b, ...) | s`` equals ``s`` over the concatenated models (run lazily: a ``take`` after the
    concat may stop before the later inputs are pulled)."""
    with example_scope():
        builts = [chain.build() for _, _, chain in ins]
        srcs = [b.apply(spec.make()) for b, (_, spec, _) in zip(builts, ins)]
        joined = srcs[0].concat(*srcs[1:]) if method else ts.concat(*srcs)
        tail = after.build()
        got = await tail.apply(joined).collect()
        models: list[Iterator[int]] = [b.model(xs) for b, (xs, _, _) in zip(builts, ins)]
        same(got, tail.expected(itertools.chain(*models)), unordered=after.reorders)
        complete = not any(s.limits for s in after.specs)
        for b in builts:
            b.check_taps(complete=complete)
        tail.check_taps(complete=True)


@LAWS
@given(st.lists(inputs(), min_size=2, max_size=3), st.booleans())
async def test_zip_stops_with_the_shortest_input(ins: list[Input], method: bool) -> None:
    """``zip`` pairs elements position by position and stops with its shortest input."""
    with example_scope():
        builts = [chain.build() for _, _, chain in ins]
        srcs = [b.apply(spec.make()) for b, (_, spec, _) in zip(builts, ins)]
        models = [b.model(xs) for b, (xs, _, _) in zip(builts, ins)]
        got: list[tuple[int, ...]]
        if len(srcs) == 2:
            got = list(await (srcs[0].zip(srcs[1]) if method else ts.zip(srcs[0], srcs[1])).collect())
            want: list[tuple[int, ...]] = list(zip(models[0], models[1]))
        else:
            got = list(await (srcs[0].zip(srcs[1], srcs[2]) if method else ts.zip(srcs[0], srcs[1], srcs[2])).collect())
            want = list(zip(models[0], models[1], models[2]))
        assert got == want
        for b in builts:
            b.check_taps(complete=False)


# -------------------------------------------------------------------------------------- operator laws


@st.composite
def fed(draw: st.DrawFn) -> tuple[list[int], SourceSpec]:
    xs = draw(elements)
    return xs, draw(sources_for(xs))


@LAWS
@given(fed(), st.integers(-5, 5), st.sampled_from((plus, shift_add)))
async def test_scan_emits_each_accumulation_not_init(
    feed: tuple[list[int], SourceSpec], init: int, f: Callable[[int, int], int]
) -> None:
    """``scan(init, f)`` emits ``f(acc, x)`` for every element: as many outputs as inputs, never ``init``."""
    xs, spec = feed
    with example_scope():
        want: list[int] = []
        acc = init
        for x in xs:
            acc = f(acc, x)
            want.append(acc)
        assert await spec.make().scan(init, f).collect() == want
        assert await (spec.make() | ts.scan(init, f, of=int)).collect() == want
        assert len(want) == len(xs)


@LAWS
@given(fed(), st.sampled_from(CONSUMERS), st.sampled_from(CONSUMERS))
async def test_stateful_map_state_is_fresh_for_every_run(feed: tuple[list[int], SourceSpec], first: str, second: str) -> None:
    """Running the same Source twice: the factory is called again and a value ``init`` starts over."""
    xs, spec = feed
    with example_scope():
        with_factory = spec.make().stateful_map(new_list, append_count)
        with_value = spec.make().stateful_map(0, index_plus)
        want_factory = [(i + 1) * 100 + x for i, x in enumerate(xs)]
        want_value = [i + x for i, x in enumerate(xs)]
        assert await consume(with_factory, first) == want_factory
        assert await consume(with_factory, second) == want_factory, "the second run reused the first run's state"
        assert await consume(with_value, first) == want_value
        assert await consume(with_value, second) == want_value, "the second run reused the first run's state"


@LAWS
@given(elements, st.sampled_from(PREDICATES), st.data())
async def test_take_while_stops_at_the_first_false_element(
    xs: list[int], pred: Callable[[int], bool], data: st.DataObject
) -> None:
    """``take_while`` emits the elements before the first false one, not that one, and pulls nothing after it
    from an element-by-element async source."""
    want = list(itertools.takewhile(pred, xs))
    with example_scope():
        elems = AsyncElements(xs)
        assert await ts.source(elems).take_while(pred).collect() == want
        stop = len(want) + 1 if len(want) < len(xs) else len(xs)
        assert elems.pulled == xs[:stop], "pulled past the first false element"
        spec = data.draw(sources_for(xs), label="source")
        assert await (spec.make() | ts.take_while(pred, of=int)).collect() == want
        assert await spec.make().take_while(asyncify(pred)).collect() == want


@LAWS
@given(fed())
async def test_distinct_keeps_the_first_element_of_each_key(feed: tuple[list[int], SourceSpec]) -> None:
    """``distinct(key)`` keeps the first element of each key, in order; ``distinct()`` keys on the element."""
    xs, spec = feed
    with example_scope():
        got = await spec.make().distinct(mod5).collect()
        first_of_key: dict[int, int] = {}
        for x in xs:
            first_of_key.setdefault(mod5(x), x)
        assert got == list(first_of_key.values())
        assert await (spec.make() | ts.distinct()).collect() == list(dict.fromkeys(xs))


@LAWS
@given(fed(), st.integers(1, 7))
async def test_batch_emits_full_lists_then_a_shorter_last(feed: tuple[list[int], SourceSpec], n: int) -> None:
    """``batch(n)`` emits lists of exactly n, then one shorter non-empty list if elements remain."""
    xs, spec = feed
    with example_scope():
        got = await spec.make().batch(n).collect()
        assert [x for b in got for x in b] == xs
        assert all(len(b) == n for b in got[:-1])
        if got:
            assert 1 <= len(got[-1]) <= n
        assert len(got) == -(-len(xs) // n)
        assert await (spec.make() | ts.batch(n)).collect() == got


@LAWS
@given(cases(), st.integers(1, 8))
async def test_buffer_changes_no_result(case: Case, n: int) -> None:
    """``buffer(n)`` before and after a chain passes every element through unchanged."""
    xs, spec, chain = case
    with example_scope():
        built = chain.build()
        got = await (built.apply(spec.make().buffer(n)) | ts.buffer(n)).collect()
        same(got, built.expected(xs), unordered=chain.reorders)
        assert await spec.make().buffer(n).collect() == xs


@st.composite
def chunked(draw: st.DrawFn) -> tuple[list[int], list[list[int]]]:
    xs = draw(elements)
    return xs, draw(chunkings(xs))


@FEW
@given(chunked(), st.integers(1, 5))
async def test_batch_ignores_chunk_boundaries(feed: tuple[list[int], list[list[int]]], n: int) -> None:
    """``batch(n)`` groups elements, not chunks: any chunking gives the same lists."""
    xs, chunks = feed
    with example_scope():
        got = await ts.Source[int](prechunked(chunks)).batch(n).collect()
        assert got == [xs[i : i + n] for i in range(0, len(xs), n)]
