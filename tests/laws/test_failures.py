"""A failure in a random chain, against the list model: the elements before the failing one come out, then the
original error with a note naming its stage (rule 20: what is delivered before an error); with concurrency, a prefix
of that; and the awaitables made for the rest of a failing chunk are closed."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

import typedstream as ts

from tests.support.laws import FEW, LAWS
from tests.support.leaks import example_scope
from tests.support.strategies import (
    Chain,
    SourceSpec,
    chains,
    chunk_source,
    chunkings,
    elements,
    failing_spec,
    failing_specs,
    is_even,
    sources_for,
    take_while_spec,
)

# ------------------------------------------------------------------------------------------------- helpers


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
async def test_rule20_a_failure_delivers_the_prefix_then_the_original_error(case: FailureCase, how: str) -> None:
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
async def test_rule20_a_failure_with_concurrency_is_a_prefix_then_the_original_error(case: FailureCase, how: str) -> None:
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
async def test_rule20_a_failure_closes_the_awaitables_of_the_rest_of_the_chunk(case: FailureCase) -> None:
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
