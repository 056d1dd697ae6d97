"""Rule 25: Prefetching changes no result. ``buffer(n)`` and concurrency change when elements are computed, never
which elements come out (nor, when ordered, their order).

Checked against the list model over random chains."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support.laws import LAWS, Case, cases, same
from tests.support.leaks import example_scope
from tests.support.strategies import Chain, buffer_spec, concurrencies


@LAWS
@given(cases(), st.lists(st.tuples(st.integers(0, 12), st.integers(1, 6)), max_size=3), st.booleans(), concurrencies)
async def test_rule25_prefetching_changes_no_result(
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
