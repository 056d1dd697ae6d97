"""Per-operator laws against the list model: ``merge``, ``concat`` and ``zip`` over random inputs, and ``scan``,
``stateful_map``, ``take_while``, ``distinct``, ``batch`` and ``buffer`` over random elements and chunkings."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from hypothesis import given
from hypothesis import strategies as st

import typedstream as ts
from typedstream._engine import prechunked

from tests.support.laws import CONSUMERS, FEW, LAWS, Case, cases, consume, same
from tests.support.leaks import example_scope
from tests.support.strategies import (
    PREDICATES,
    AsyncElements,
    Chain,
    SourceSpec,
    append_count,
    asyncify,
    chains,
    chunkings,
    elements,
    index_plus,
    mod5,
    new_list,
    plus,
    shift_add,
    sources_for,
)

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
async def test_rule25_buffer_changes_no_result(case: Case, n: int) -> None:
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
