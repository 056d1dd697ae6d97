"""The batch ``Pipeline`` facade: same semantics as the sequential for loop it replaces, list strategies, retry and
timeouts per step, and the streaming forms."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

import typedstream as ts

from tests.support.clock import VirtualClock
from tests.support.sources import FailsFirst

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Permanent(Exception):
    pass


class Transient(Exception):
    pass


# --------------------------------------------------------------------------- equivalence with the batch loop


@dataclass(frozen=True)
class StepSpec:
    add: int
    fail_mod: int | None  # the step fails for good when state % fail_mod == 0
    flaky: int  # the first `flaky` calls for each state fail transiently
    attempts: int


step_specs = st.builds(
    StepSpec,
    add=st.integers(-5, 5),
    fail_mod=st.one_of(st.none(), st.integers(2, 7)),
    flaky=st.integers(0, 3),
    attempts=st.integers(1, 3),
)


class StepFn:
    """A step as a callable object: it counts its calls per state, so flakiness is per element, as in life."""

    def __init__(self, spec: StepSpec) -> None:
        self.spec = spec
        self.calls: Counter[int] = Counter()

    def __call__(self, state: int) -> int:
        self.calls[state] += 1
        if self.spec.fail_mod is not None and state % self.spec.fail_mod == 0:
            raise Permanent(state)
        if self.calls[state] <= self.spec.flaky:
            raise Transient(state)
        return state + self.spec.add


@dataclass(frozen=True)
class Outcome:
    ok: bool
    state: int  # the final state, or the state the failing step received
    failed_step: str | None
    attempts: tuple[int, ...]
    statuses: tuple[str, ...]


def reference_loop(specs: list[StepSpec], x: int) -> Outcome:
    """The batch pipeline the facade replaces: a for loop over steps, try/except per step, retry per step."""
    state = x
    attempts: list[int] = []
    statuses: list[str] = []
    failed: str | None = None
    for i, spec in enumerate(specs):
        if failed is not None:
            attempts.append(0)
            statuses.append("not_run")
            continue
        fn = StepFn(spec)
        for attempt in range(1, spec.attempts + 1):
            try:
                state = fn(state)
            except Permanent:
                attempts.append(attempt)
                failed = f"s{i}"
                break
            except Transient:
                if attempt == spec.attempts:
                    attempts.append(attempt)
                    failed = f"s{i}"
                continue
            attempts.append(attempt)
            break
        statuses.append("ok" if failed is None else "failed")
    return Outcome(failed is None, state, failed, tuple(attempts), tuple(statuses))


def build(specs: list[StepSpec]) -> ts.Pipeline[int, int]:
    p = ts.Pipeline("model", int)
    for i, spec in enumerate(specs):
        p = p.step(f"s{i}", StepFn(spec), retry=ts.Retry(spec.attempts, ts.Backoff.none(), retry_on=(Transient,)))
    return p


@PROPERTY
@given(st.lists(step_specs, max_size=6), st.integers(-20, 20))
async def test_run_matches_the_sequential_for_loop(specs: list[StepSpec], x: int) -> None:
    want = reference_loop(specs, x)
    result = await build(specs).run(x)
    got = Outcome(
        result.ok,
        result.state if result.ok else int(str(result.partial_state)),
        result.failed_step,
        tuple(r.attempts for r in result.steps),
        tuple(r.status for r in result.steps),
    )
    assert got == want
    if not result.ok:
        assert result.error is not None and isinstance(result.error.cause, Permanent | Transient)
        with pytest.raises(ts.StepError):
            _ = result.state


@PROPERTY
# distinct inputs: every step adds a constant, so states stay distinct and each has its own flakiness
@given(st.lists(step_specs, max_size=5), st.lists(st.integers(-20, 20), max_size=12, unique=True), st.sampled_from([1, 3]))
async def test_stream_gives_each_input_the_outcome_of_its_own_run(
    specs: list[StepSpec], xs: list[int], concurrency: int
) -> None:
    streamed = await build(specs).stream(xs, concurrency=concurrency).collect()
    assert len(streamed) == len(xs)
    for x, r in zip(xs, streamed):
        want = reference_loop(specs, x)
        if want.ok:
            assert r == Success(want.state)
        else:
            assert isinstance(r, Failure)
            error = r.failure()
            assert (error.step, error.state) == (want.failed_step, want.state)


# ------------------------------------------------------------------------------------------- typed state


@dataclass(frozen=True)
class Order:
    id: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Priced:
    id: int
    prices: list[int]


@dataclass(frozen=True)
class Checked:
    id: int
    prices: list[Result[int, Exception]]


def price_of(line: str) -> int:
    if line == "bad":
        raise ValueError(line)
    return len(line)


async def aprice_of(line: str) -> int:
    await asyncio.sleep(0.001 * (len(line) % 3))  # out-of-order completion under concurrency
    return price_of(line)


@pytest.mark.parametrize("f", [price_of, aprice_of])
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_each_strategies(f: object, concurrency: int) -> None:
    order = Order(1, ("a", "bad", "ccc", "dd"))
    fn = price_of if f is price_of else aprice_of

    def into(o: Order, prices: list[int]) -> Priced:
        return Priced(o.id, prices)

    def into_results(o: Order, prices: list[Result[int, Exception]]) -> Checked:
        return Checked(o.id, prices)

    base = ts.Pipeline("orders", Order)
    skip = await base.each("price", items=lambda o: o.lines, f=fn, into=into, on_error="skip", concurrency=concurrency).run(order)
    assert skip.state == Priced(1, [1, 3, 2])
    fail = await base.each("price", items=lambda o: o.lines, f=fn, into=into, concurrency=concurrency).run(order)
    assert not fail.ok and fail.failed_step == "price" and fail.partial_state == order
    assert isinstance(fail.steps[0].error, ValueError)
    collect = await base.each(
        "price", items=lambda o: o.lines, f=fn, into=into_results, on_error="collect", concurrency=concurrency
    ).run(order)
    prices = collect.state.prices
    assert [p.unwrap() for p in prices if isinstance(p, Success)] == [1, 3, 2]
    [bad] = [p.failure() for p in prices if isinstance(p, Failure)]
    assert isinstance(bad, ValueError) and str(bad) == "bad"
    assert isinstance(prices[1], Failure)  # in item order


async def test_steps_build_new_records_and_leave_the_input_alone() -> None:
    order = Order(7, ("x",))
    p = ts.Pipeline("orders", Order).step("price", lambda o: Priced(o.id, [len(s) for s in o.lines]))
    result = await p.run(order)
    assert result.state == Priced(7, [1]) and order == Order(7, ("x",))
    assert [r.name for r in result.steps] == ["price"] and result.steps[0].status == "ok"


# ------------------------------------------------------------------------------------ retry and timing


async def test_step_retry_waits_follow_the_policy_in_virtual_time() -> None:
    clock = VirtualClock()
    calls = 0

    async def flaky(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise ConnectionError(calls)
        return x * 2

    policy = ts.Retry(5, ts.Backoff.exponential(initial=0.1, factor=3, max=0.5, jitter=0), sleep=clock.sleep)
    result = await ts.Pipeline("p", int).step("fetch", flaky, retry=policy).run(21)
    assert result.state == 42
    assert clock.delays == [0.1, pytest.approx(0.3), 0.5]  # capped at max
    assert result.steps[0].attempts == 4


async def test_a_step_that_exhausts_its_retries_fails_with_its_attempts() -> None:
    clock = VirtualClock()

    def never(x: int) -> int:
        raise ConnectionError(x)

    policy = ts.Retry(3, ts.Backoff.constant(1.0), sleep=clock.sleep)
    result = await ts.Pipeline("p", int).step("inc", lambda x: x + 1).step("never", never, retry=policy).run(1)
    assert result.failed_step == "never" and result.partial_state == 2
    assert [(r.name, r.status, r.attempts) for r in result.steps] == [("inc", "ok", 1), ("never", "failed", 3)]
    assert clock.delays == [1.0, 1.0]
    assert result.error is not None and "after 3 attempt(s)" in str(result.error)


async def test_step_duration_is_the_time_inside_the_step() -> None:
    async def nap(x: int) -> int:
        await asyncio.sleep(0.05)
        return x

    result = await ts.Pipeline("p", int).step("nap", nap).step("inc", lambda x: x + 1).run(1)
    nap_record, inc_record = result.steps
    assert 0.05 <= nap_record.duration < 0.08
    assert inc_record.duration < 0.01
    assert result.duration >= nap_record.duration


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_a_step_timeout_fails_the_step(kind: Literal["async", "sync"]) -> None:
    async def slow_async(x: int) -> int:
        await asyncio.sleep(1)
        return x

    def slow_sync(x: int) -> int:
        time.sleep(0.3)
        return x

    step = slow_async if kind == "async" else slow_sync
    started = time.perf_counter()
    result = await ts.Pipeline("p", int).step("slow", step, timeout=0.05).run(1)
    assert time.perf_counter() - started < 0.25
    assert isinstance(result.steps[0].error, TimeoutError)
    assert "took longer than timeout=0.05 s" in str(result.steps[0].error)
    assert result.report.stages[-1].timed_out == 1
    if kind == "sync":
        await asyncio.sleep(0.3)  # let the worker thread finish before the next test


async def test_a_step_s_own_timeout_error_is_not_renamed() -> None:
    async def own(x: int) -> int:
        raise TimeoutError("upstream said so")

    result = await ts.Pipeline("p", int).step("own", own, timeout=5).run(1)
    assert str(result.steps[0].error) == "upstream said so"


async def test_timeout_attempts_are_retried() -> None:
    calls = 0

    async def slow_first(x: int) -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(1 if calls == 1 else 0)
        return x

    policy = ts.Retry(2, ts.Backoff.none(), retry_on=(TimeoutError,))
    result = await ts.Pipeline("p", int).step("s", slow_first, timeout=0.05, retry=policy).run(5)
    assert result.state == 5 and result.steps[0].attempts == 2


# --------------------------------------------------------------------------------------- composition


async def test_as_stream_composes_with_other_stages() -> None:
    p = ts.Pipeline("p", int).step("half", lambda x: 10 // x)
    src = ts.source([1, 0, 5]) | ts.map(lambda x: x, of=int) | p.as_stream(concurrency=2)
    results = await src.collect()
    assert results[0] == Success(10) and results[2] == Success(2)
    assert isinstance(results[1], Failure) and results[1].failure().step == "half"
    assert await (src | ts.successes()).collect() == [10, 2]


async def test_cancelling_a_run_is_not_turned_into_a_step_error() -> None:
    started = asyncio.Event()

    async def stuck(x: int) -> int:
        started.set()
        await asyncio.sleep(10)
        return x

    task = asyncio.create_task(ts.Pipeline("p", int).step("stuck", stuck, retry=ts.Retry(3)).run(1))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# ------------------------------------------------------------------------------------- bad definitions


def test_bad_definitions_fail_when_built() -> None:
    p = ts.Pipeline("p", int).step("a", lambda x: x)
    with pytest.raises(ValueError, match="step name 'a' is already used"):
        p.step("a", lambda x: x)
    with pytest.raises(ValueError, match="'source' is reserved"):
        p.step("source", lambda x: x)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        p.step("b", lambda x: x, timeout=0)
    with pytest.raises(TypeError, match="retry must be a Retry"):
        p.step("b", lambda x: x, retry=3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="step 'b'"):
        p.step("b", 3)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="concurrency"):
        p.each("b", items=lambda x: [x], f=str, into=lambda x, ys: ys, concurrency=0)
    with pytest.raises(TypeError, match="name must be a non-empty str"):
        ts.Pipeline("", int)


async def test_step_duration_excludes_retry_waits() -> None:
    result = await ts.Pipeline("p", int).step("flaky", FailsFirst(2), retry=ts.Retry(3, ts.Backoff.constant(0.05))).run(1)
    [record] = result.steps
    assert record.attempts == 3 and record.duration < 0.02 and result.duration >= 0.1


async def test_each_skip_sends_skipped_items_to_a_dead_letter_sink() -> None:
    dead: list[ts.DeadLetter[str]] = []

    def into(o: Order, prices: list[int]) -> Priced:
        return Priced(o.id, prices)

    p = ts.Pipeline("orders", Order).each(
        "price", items=lambda o: o.lines, f=price_of, into=into, on_error="skip", dead_letter=ts.for_each(dead.append)
    )
    result = await p.run(Order(3, ("a", "bad", "bb", "bad")))
    assert result.state == Priced(3, [1, 2])
    assert [(d.element, d.stage, type(d.exception)) for d in dead] == [("bad", "price", ValueError)] * 2
    with pytest.raises(ValueError, match="needs on_error='skip'"):
        ts.Pipeline("orders", Order).each(
            "price", items=lambda o: o.lines, f=price_of, into=into, dead_letter=ts.for_each(dead.append)
        )


async def test_each_retries_each_item_before_its_strategy_applies() -> None:
    flaky = FailsFirst(1)  # the first item's first call fails transiently

    def into(o: Order, prices: list[int]) -> Priced:
        return Priced(o.id, prices)

    def price(line: str) -> int:
        return flaky(len(line))

    policy = ts.Retry(2, ts.Backoff.none(), retry_on=(ConnectionError,))
    p = ts.Pipeline("orders", Order).each("price", items=lambda o: o.lines, f=price, into=into, on_error="skip", retry=policy)
    result = await p.run(Order(1, ("a", "bb")))
    assert result.state == Priced(1, [1, 2]) and flaky.calls == 3  # retried, not skipped


async def test_the_report_counts_the_inputs_that_failed_at_each_step() -> None:
    """An input that failed at a step used to count as failed 0 there (it went on as a Failure(StepError))."""

    def parse(s: str) -> int:
        return int(s)

    def positive(n: int) -> int:
        if n <= 0:
            raise ValueError(n)
        return n

    p = ts.Pipeline("p", str).step("parse", parse).step("positive", positive)
    reports: list[ts.RunReport] = []
    results = await p.stream(["1", "x", "-2", "3", "y"]).collect(on_report=reports.append)
    assert [r.failure().step for r in results if not isinstance(r, Success)] == ["parse", "positive", "parse"]
    report = reports[0]
    assert (report.stage("parse").caught, report.stage("positive").caught) == (2, 1)
    assert report.caught == 3
    for name in ("parse", "positive"):  # the failures are passed on as values: they are in items_out as well
        s = report.stage(name)
        assert s.items_in == s.items_out == 5 and s.failed == 0
    assert "caught" in report.table(plain=True).splitlines()[1]


async def test_a_list_step_s_skips_are_in_the_report_and_the_step_record() -> None:
    """500 skipped items used to appear nowhere: the report said skipped 0 and the step record had no count."""

    @dataclass(frozen=True)
    class Basket:
        items: tuple[int, ...]
        kept: tuple[int, ...] = ()

    def even(x: int) -> int:
        if x % 2:
            raise ValueError(x)
        return x

    p = ts.Pipeline("baskets", Basket).each(
        "evens", items=lambda b: b.items, f=even, into=lambda b, ys: Basket(b.items, tuple(ys)), on_error="skip"
    )
    result = await p.run(Basket(tuple(range(10))))
    assert result.state.kept == (0, 2, 4, 6, 8)
    [record] = result.steps
    assert (record.name, record.status, record.skipped) == ("evens", "ok", 5)
    report = await p.stream([Basket(tuple(range(10)))] * 100).run()
    items = report.stage("evens (nested runs)")
    assert (items.items_in, items.items_out, items.skipped) == (1000, 500, 500)
    assert report.skipped == 500 and report.stage("evens").items_in == 100


async def test_a_step_on_an_executor_can_have_a_timeout() -> None:
    def slow(x: int) -> int:
        time.sleep(0.3 if x == 1 else 0.0)
        return x * 2

    with ThreadPoolExecutor(1) as pool:
        p = ts.Pipeline("p", int).step("slow", slow, timeout=0.05, executor=pool)
        late, quick = await p.run(1), await p.run(2)
    assert isinstance(late.steps[0].error, TimeoutError) and quick.state == 4
