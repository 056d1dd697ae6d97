"""Rule 20: Chunking changes nothing. Splitting the input into chunks differently never changes a result, an error
or what is delivered before an error (a failure at element *i* delivers the elements before *i*, then raises).

Checked against the list model over random chains; the failure half of the rule is in test_failures.py."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import typedstream as ts
from typedstream._engine import prechunked

from tests.support.laws import FEW, LAWS, same
from tests.support.leaks import example_scope
from tests.support.strategies import Chain, SourceSpec, chains, elements, sources_for


@st.composite
def two_feeds(draw: st.DrawFn) -> tuple[list[int], SourceSpec, SourceSpec, Chain]:
    xs = draw(elements)
    return xs, draw(sources_for(xs)), draw(sources_for(xs)), draw(chains())


@LAWS
@given(two_feeds())
async def test_rule20_rechunking_the_input_changes_nothing(feeds: tuple[list[int], SourceSpec, SourceSpec, Chain]) -> None:
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
async def test_rule20_chunk_size_one_equals_one_big_chunk(xs: list[int], data: st.DataObject, chain: Chain, k: int) -> None:
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
