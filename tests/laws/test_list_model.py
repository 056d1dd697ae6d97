"""Differential tests against the plain list model (``tests.support.strategies``), over random elements, chunkings
and chains: every way to consume a run sees the model's elements, every stage accounts for every element it
received, and leaving a stream block early delivers the model's prefix."""

from __future__ import annotations

import itertools

from hypothesis import example, given
from hypothesis import strategies as st

import typedstream as ts

from tests.support.laws import CONSUMERS, FEW, LAWS, Case, cases, consume, same
from tests.support.leaks import example_scope
from tests.support.strategies import (
    Chain,
    batch_flatten_spec,
    batch_total_spec,
    chunk_source,
    filter_spec,
    is_even,
    take_spec,
)

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
