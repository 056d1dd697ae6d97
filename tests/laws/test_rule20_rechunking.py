"""Rule 20: Chunking changes nothing. Splitting the input into chunks differently never changes a result, an error
or what is delivered before an error (a failure at element *i* delivers the elements before *i*, then raises).

Checked against the list model over random chains; the failure half of the rule is in test_failures.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
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


class SourceBroke(Exception):
    """The source's own failure (a malformed line, a lost connection)."""


def gives_then_fails(n: int) -> Iterator[int]:
    yield from range(n)
    raise SourceBroke(f"after {n}")


async def agives_then_fails(n: int) -> AsyncIterator[int]:
    for x in range(n):
        yield x
    raise SourceBroke(f"after {n}")


@FEW
@given(
    st.integers(0, 3000),
    st.sampled_from(["sync", "sync chunk_size=7", "async", "async chunk_size=7"]),
    st.sampled_from(["fused", "async stage", "buffer"]),
)
async def test_rule20_a_failing_source_delivers_everything_it_gave_before_the_error(n: int, how: str, after: str) -> None:
    """A sync source that raised mid-chunk used to lose what it had already given in that chunk (up to 1,023
    elements), and its error named no stage."""
    chunk_size = 7 if "chunk_size" in how else None
    items = gives_then_fails(n) if how.startswith("sync") else agives_then_fails(n)
    src = ts.source(items, chunk_size=chunk_size)
    if after == "async stage":
        src = src.map(_async_identity)
    elif after == "buffer":
        src = src.buffer(5)
    else:
        src = src.map(lambda x: x)
    got: list[int] = []
    reports: list[ts.RunReport] = []
    with example_scope():
        with pytest.raises(SourceBroke, match=f"after {n}") as info:
            async with src.stream(on_report=reports.append) as it:
                async for x in it:
                    got.append(x)
    assert got == list(range(n))
    assert "typedstream: stage 'source' failed" in getattr(info.value, "__notes__", [])
    assert reports[0].stage("source").items_out == n


async def _async_identity(x: int) -> int:
    return x
