"""What the law tests (tests/laws/) share: their Hypothesis settings, the comparison with the list model of
``tests.support.strategies``, the ways to consume a Source, and random cases (elements, a way to feed them in, a
chain).

Each law is an async Hypothesis test (pytest-asyncio runs every example on the test's loop), and every example
checks rule 23 for itself with ``tests.support.leaks.example_scope``, so a leak is reported with the example that
caused it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import typedstream as ts

from tests.support.strategies import Chain, SourceSpec, chains, elements, sources_for

LAWS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], report_multiple_bugs=False
)
FEW = settings(LAWS, max_examples=60)


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


Case = tuple[list[int], SourceSpec, Chain]


@st.composite
def cases(draw: st.DrawFn, *, unordered: bool = True, max_ops: int = 6) -> Case:
    """Random elements, a random way to feed them in, and a random chain."""
    xs = draw(elements)
    return xs, draw(sources_for(xs)), draw(chains(max_ops=max_ops, unordered=unordered))
