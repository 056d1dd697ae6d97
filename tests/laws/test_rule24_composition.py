"""Rule 24: Composition is associative. ``(a | b) | c == a | (b | c)``, and
``map(f) | map(g) == map(lambda x: g(f(x)))``.

Checked against the list model over random chains, in any mix of sync and async maps, and for stage objects
regrouped by hand."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

import typedstream as ts

from tests.support.laws import LAWS, Case, cases, same
from tests.support.leaks import example_scope
from tests.support.strategies import MAP_FUNCTIONS, Chain, asyncify, chains


@LAWS
@given(cases(max_ops=7), st.data())
async def test_rule24_composition_is_associative(case: Case, data: st.DataObject) -> None:
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
async def test_rule24_map_then_map_is_map_of_composition(
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


async def test_rule24_stage_objects_regroup() -> None:
    """(a | b) | c == a | (b | c) when b and c are stage objects (take, batch, flatten, distinct)."""
    xs = list(range(23))
    show = ts.map(str)
    left = ts.source(xs) | ((show | ts.take(9)) | ts.batch(4))
    right = ts.source(xs) | (show | (ts.take(9) | ts.batch(4)))
    assert await left.collect() == await right.collect() == [["0", "1", "2", "3"], ["4", "5", "6", "7"], ["8"]]
    regrouped = ts.source(xs) | (ts.batch(5) | ts.take(2) | ts.flatten())
    assert await regrouped.collect() == xs[:10]
    deduped = ts.source([3, 1, 3, 2, 1]) | (ts.distinct() | ts.take(2))
    assert await deduped.collect() == [3, 1]
