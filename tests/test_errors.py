"""Errors as values, error strategies, dead letters, retry and accounting (DESIGN section 5).

The conformance rules 5, 11, 12, 16, 17 and 18 for these features are in ``tests/test_conformance.py``;
the laws in ``tests/test_laws.py`` also draw guarded stages (retry + skip) from ``tests/strategies.py``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from clock import VirtualClock
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.primitives.exceptions import UnwrapFailedError
from returns.result import Failure, Result, Success

import typedstream as ts

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Boom(Exception):
    pass


def parse(s: str) -> int:
    return int(s)


async def aparse(s: str) -> int:
    await asyncio.sleep(0)
    return int(s)


def letters_into(out: list[ts.DeadLetter[Any]]) -> ts.Sink[ts.DeadLetter[Any], None]:
    return ts.for_each(out.append)


# ------------------------------------------------------------------------------------------------- try_map


@pytest.mark.parametrize("concurrency", [1, 3])
@pytest.mark.parametrize("f", [parse, aparse], ids=["sync", "async"])
async def test_try_map_turns_caught_exceptions_into_failures_in_order(
    f: Callable[[str], Any], concurrency: int
) -> None:
    lines = ["1", "x", "3", "", "5"]
    got = await ts.source(lines).try_map(f, catch=ValueError, concurrency=concurrency).collect()
    assert [r.unwrap() for r in got if isinstance(r, Success)] == [1, 3, 5]
    errors = [r.failure() for r in got if isinstance(r, Failure)]
    assert [type(e) for e in errors] == [ValueError, ValueError]
    assert [isinstance(r, Success) for r in got] == [True, False, True, False, True]


async def test_try_map_failure_names_its_stage_and_element() -> None:
    [r] = await (ts.source(["x"]) | ts.try_map(parse)).collect()
    assert isinstance(r, Failure)
    assert any("stage 'parse'" in n and "'x'" in n for n in r.failure().__notes__)


def f(x: int) -> int:
    """Raises ValueError on 1 and KeyError on 2."""
    if x == 2:
        raise KeyError(x)
    if x == 1:
        raise ValueError(x)
    return x


async def test_try_map_does_not_catch_other_exceptions() -> None:
    src = ts.source(range(4)).try_map(f, catch=ValueError)
    with pytest.raises(KeyError) as info:
        await src.collect()
    assert "typedstream: stage 'f' failed on element 2" in info.value.__notes__


async def test_try_map_with_skip_drops_uncaught_exceptions_into_the_dead_letters() -> None:
    dead: list[ts.DeadLetter[int]] = []

    got = await ts.source(range(4)).try_map(f, catch=ValueError, on_error="skip", dead_letter=ts.for_each(dead.append)).collect()
    assert [r.unwrap() if isinstance(r, Success) else "failure" for r in got] == [0, "failure", 3]
    assert [(d.element, type(d.exception)) for d in dead] == [(2, KeyError)]


async def test_try_map_retries_before_catching() -> None:
    calls: list[int] = []
    clock = VirtualClock()

    def flaky(x: int) -> int:
        calls.append(x)
        if x == 0 or calls.count(x) < 2:
            raise ConnectionError(x)
        return x

    policy = ts.Retry(3, ts.Backoff.constant(1.0), sleep=clock.sleep)
    got = await ts.source([0, 1]).try_map(flaky, catch=ConnectionError, retry=policy).collect()
    assert isinstance(got[0], Failure) and got[1] == Success(1)
    assert calls == [0, 0, 0, 1, 1]  # 0: every attempt fails, then a Failure; 1: succeeds on the 2nd
    assert clock.delays == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("catch", [int, BaseException, asyncio.CancelledError, (ValueError, "x"), ()])
def test_try_map_rejects_bad_catch_at_build_time(catch: Any) -> None:
    with pytest.raises(TypeError, match=r"stage 'parse': catch"):
        ts.try_map(parse, catch=catch)


# --------------------------------------------------------------------------------------- Result operators

results_lists = st.lists(
    st.one_of(st.integers(-50, 50).map(Success), st.sampled_from("abc").map(Failure)), max_size=30
)


def inc(x: int) -> int:
    return x + 1


def half(x: int) -> Result[int, str]:
    return Success(x // 2) if x % 2 == 0 else Failure("odd")


def fix(e: str) -> Result[int, str]:
    return Success(len(e)) if e != "b" else Failure("still b")


async def ainc(x: int) -> int:
    await asyncio.sleep(0)
    return x + 1


async def ahalf(x: int) -> Result[int, str]:
    await asyncio.sleep(0)
    return half(x)


async def afix(e: str) -> Result[int, str]:
    await asyncio.sleep(0)
    return fix(e)


def bind_model(r: Result[int, str], f: Callable[[int], Result[int, str]]) -> Result[int, str]:
    return f(r.unwrap()) if isinstance(r, Success) else r


def recover_model(r: Result[int, str], f: Callable[[str], Result[int, str]]) -> Result[int, str]:
    return f(r.failure()) if isinstance(r, Failure) else r


@PROPERTY
@given(xs=results_lists, asynchronous=st.booleans(), concurrency=st.sampled_from([1, 3]))
async def test_result_operators_match_returns_on_each_element(
    xs: list[Result[int, str]], asynchronous: bool, concurrency: int
) -> None:
    src = ts.source(xs)
    opts: ts.ElementOptions[Result[int, str]] = {"concurrency": concurrency}
    if asynchronous:
        mapped, bound, recovered = src.map_ok(ainc, **opts), src.bind(ahalf, **opts), src.recover(afix, **opts)
    else:
        mapped, bound, recovered = src.map_ok(inc, **opts), src.bind(half, **opts), src.recover(fix, **opts)
    assert await mapped.collect() == [r.map(inc) for r in xs]
    assert await bound.collect() == [bind_model(r, half) for r in xs]
    assert await recovered.collect() == [recover_model(r, fix) for r in xs]
    assert await src.successes().collect() == [r.unwrap() for r in xs if isinstance(r, Success)]
    assert await src.failures().collect() == [r.failure() for r in xs if isinstance(r, Failure)]
    # the stage-object forms are the same stages
    assert await (src | ts.map_ok(inc)).collect() == [r.map(inc) for r in xs]
    both = [recover_model(bind_model(r, half), fix) for r in xs]
    assert await (src | ts.bind(half) | ts.recover(fix) | ts.successes()).collect() == [
        r.unwrap() for r in both if isinstance(r, Success)
    ]


async def test_unwrap_raises_the_original_exception_of_the_first_failure() -> None:
    src = ts.source(["1", "2", "x", "y"]).try_map(parse, catch=ValueError).unwrap()
    got: list[int] = []
    with pytest.raises(ValueError, match="'x'") as info:
        async for v in src:
            got.append(v)
    assert got == [1, 2]
    assert "typedstream: stage 'parse' failed on element 'x'" in info.value.__notes__


async def test_unwrap_of_a_non_exception_error_raises_returns_unwrap_error() -> None:
    with pytest.raises(UnwrapFailedError):
        await ts.source([Success(1), Failure("bad")]).unwrap().collect()


@pytest.mark.parametrize("stage", ["successes", "failures", "unwrap", "map_ok"])
async def test_result_operators_reject_non_result_elements_naming_the_stage(stage: str) -> None:
    src = cast(ts.Source[Result[int, str]], ts.source(cast(list[object], [Success(1), 2])))
    builders: dict[str, Callable[[], ts.Source[object]]] = {
        "successes": lambda: src.successes(),
        "failures": lambda: src.failures(),
        "unwrap": lambda: src.unwrap(),
        "map_ok": lambda: src.map_ok(inc),
    }
    built = builders[stage]()
    with pytest.raises(TypeError, match="expected a returns Result") as info:
        await built.collect()
    name = "inc" if stage == "map_ok" else stage
    assert f"typedstream: stage {name!r} failed on element 2" in info.value.__notes__


async def test_bind_rejects_a_function_that_does_not_return_a_result() -> None:
    def bad(x: int) -> Any:
        return x

    with pytest.raises(TypeError, match="stage 'bad': the function must return a Result"):
        await ts.source([Success(1)]).bind(bad).collect()


async def test_map_ok_awaits_a_plain_callable_returning_an_awaitable() -> None:
    got = await ts.source([Success(1), Failure("e")]).map_ok(lambda x: ainc(x)).collect()
    assert got == [Success(2), Failure("e")]


async def test_successes_and_failures_are_counted_as_filtered() -> None:
    report = await ts.source([Success(1), Failure("a"), Success(2)]).successes().run()
    st_ = report.stage("successes")
    assert (st_.items_in, st_.items_out, st_.filtered) == (3, 2, 1)


# -------------------------------------------------------------------------------- on_error="skip" and dead letters


@pytest.mark.parametrize("mode", ["sync", "async", "awaitable", "pool"])
@pytest.mark.parametrize("kind", ["map", "filter", "flat_map", "tap"])
async def test_skip_sends_each_failing_element_to_the_dead_letters(kind: str, mode: str) -> None:
    dead: list[ts.DeadLetter[int]] = []

    def f(x: int) -> Any:
        if x % 3 == 0:
            raise Boom(f"bad {x}")
        return {"map": x * 10, "filter": x % 2 == 0, "flat_map": [x, x], "tap": None}[kind]

    async def af(x: int) -> Any:
        await asyncio.sleep(0)
        return f(x)

    def awaitable(x: int) -> Any:
        return af(x)

    fn: Any = {"sync": f, "async": af, "awaitable": awaitable, "pool": af}[mode]
    opts: ts.ElementOptions[int] = {"on_error": "skip", "dead_letter": ts.for_each(dead.append), "name": "stage"}
    if mode == "pool":
        opts["concurrency"] = 3
    src = ts.source(range(10))
    built: ts.Source[Any] = getattr(src, kind)(fn, **opts)
    got = await built.collect()
    ok = [x for x in range(10) if x % 3 != 0]
    expected: list[Any] = {
        "map": [x * 10 for x in ok],
        "filter": [x for x in ok if x % 2 == 0],
        "flat_map": [y for x in ok for y in (x, x)],
        "tap": ok,
    }[kind]
    assert got == expected
    assert [d.element for d in dead] == [0, 3, 6, 9]
    assert all(isinstance(d.exception, Boom) and d.stage == "stage" and d.attempts == 1 for d in dead)
    assert str(dead[1].exception) == "bad 3"


async def test_dead_letter_records_attempts_and_the_last_exception() -> None:
    dead: list[ts.DeadLetter[int]] = []
    calls = 0

    def always(x: int) -> int:
        nonlocal calls
        calls += 1
        raise Boom(f"attempt {calls}")

    clock = VirtualClock()
    policy = ts.Retry(4, ts.Backoff.none(), sleep=clock.sleep)
    await ts.source([7]).map(always, retry=policy, on_error="skip", dead_letter=ts.for_each(dead.append)).collect()
    [letter] = dead
    assert (letter.element, letter.stage, letter.attempts, str(letter.exception)) == (7, "always", 4, "attempt 4")
    assert str(letter.exception.__context__) == "attempt 3"  # earlier attempts stay chained


async def test_skip_without_a_dead_letter_sink_still_counts() -> None:
    report = await ts.source(range(10)).map(lambda x: 1 // (x % 2), on_error="skip", name="inv").run()
    assert report.items == 5
    assert report.stage("inv").skipped == 5
    assert report.skipped == 5


async def test_an_async_dead_letter_sink_receives_everything_before_the_run_returns() -> None:
    dead: list[int] = []

    async def slow_write(letter: ts.DeadLetter[int]) -> None:
        await asyncio.sleep(0.001)
        dead.append(letter.element)

    n = 600  # more than the feed's queue holds: the stage waits for the sink
    got = await ts.source(range(n)).map(
        lambda x: 1 // (x % 2), on_error="skip", dead_letter=ts.for_each(slow_write)
    ).collect()
    assert len(got) == n // 2
    assert dead == list(range(0, n, 2))


async def test_a_failing_dead_letter_sink_fails_the_run() -> None:
    def explode(letter: ts.DeadLetter[int]) -> None:
        raise RuntimeError("sink down")

    src = ts.source(range(5)).map(lambda x: 1 // (x - 2), on_error="skip", dead_letter=ts.for_each(explode), name="inv")
    with pytest.raises(RuntimeError) as info:
        await src.collect()
    assert "sink down" in str(info.value) or "sink down" in str(info.value.__cause__)
    assert any("dead-letter sink of stage 'inv'" in n for n in getattr(info.value, "__notes__", []))


async def test_a_dead_letter_sink_that_stops_early_fails_the_run_instead_of_losing_letters() -> None:
    """``first()`` takes one chunk of dead letters and ends; letters sent after that are not silently lost."""

    async def f(x: int) -> int:
        await asyncio.sleep(0)  # the sink task runs between elements, so each letter is a chunk of its own
        if x % 2:
            raise Boom(x)
        return x

    src = ts.source(range(10)).map(f, on_error="skip", dead_letter=ts.first(), name="inv")
    with pytest.raises(RuntimeError, match="stage 'inv': the dead-letter sink stopped before the run ended"):
        await src.collect()


async def test_dead_letters_written_before_a_failure_are_still_delivered() -> None:
    dead: list[int] = []

    def f(x: int) -> int:
        if x == 1:
            raise ValueError("skip me")
        if x == 3:
            raise Boom("fatal")
        return x

    src = ts.source(range(5)).map(
        f, retry=ts.Retry(1), on_error="skip", dead_letter=ts.for_each(lambda d: dead.append(d.element))
    ).map(lambda x: x if x != 4 else 1 // 0)
    # Boom is skipped too (skip covers every Exception); the downstream ZeroDivisionError ends the run.
    with pytest.raises(ZeroDivisionError):
        await src.collect()
    assert dead == [1, 3]


async def test_skip_in_a_proven_sync_filter_after_the_first_chunk() -> None:
    """The C-level filter path (after the first chunk) recovers failures too."""
    dead: list[int] = []

    def pred(x: int) -> bool:
        if x in (1500, 1501, 3000):
            raise Boom(x)
        return x % 2 == 0

    src = ts.source(range(4000)).filter(pred, on_error="skip", dead_letter=ts.for_each(lambda d: dead.append(d.element)))
    assert await src.collect() == [x for x in range(4000) if x % 2 == 0 and x not in (1500, 3000)]
    assert dead == [1500, 1501, 3000]


async def test_stop_iteration_from_the_function_is_skipped_as_an_error() -> None:
    def f(x: int) -> int:
        if x == 2:
            raise StopIteration
        return x

    dead: list[ts.DeadLetter[int]] = []
    got = await ts.source(range(5)).map(f, on_error="skip", dead_letter=ts.for_each(dead.append)).collect()
    assert got == [0, 1, 3, 4]
    assert [d.element for d in dead] == [2] and "StopIteration" in str(dead[0].exception)


async def test_guarded_flat_map_never_emits_half_an_element() -> None:
    """With skip or retry, an inner iterable that fails midway contributes nothing (it is read inside the call)."""
    calls: list[int] = []

    def inner(x: int) -> Iterator[int]:
        calls.append(x)
        yield x
        if x == 1 and calls.count(1) < 2:
            raise ConnectionError("midway")
        if x == 2:
            raise Boom("always midway")
        yield x

    src = ts.source([0, 1, 2, 3]).flat_map(inner, retry=ts.Retry(2, ts.Backoff.none()), on_error="skip")
    assert await src.collect() == [0, 0, 1, 1, 3, 3]


# --------------------------------------------------------------------------------------------------- retry


async def test_retry_waits_follow_the_policy_in_virtual_time() -> None:
    clock = VirtualClock()
    backoff = ts.Backoff.exponential(initial=1.0, factor=2.0, max=5.0, jitter=0.5)
    policy = ts.Retry(6, backoff, sleep=clock.sleep, seed=42)

    def never(x: int) -> int:
        raise ConnectionError(x)

    with pytest.raises(ConnectionError) as info:
        await ts.source([0]).map(never, retry=policy).collect()
    assert "typedstream: gave up after 6 attempts" in info.value.__notes__
    bases = [1.0, 2.0, 4.0, 5.0, 5.0]  # capped at max
    assert len(clock.delays) == 5
    for delay, base in zip(clock.delays, bases, strict=True):
        assert base * 0.5 <= delay <= base
    # seeded: the same delays as the policy's own sequence, and the same in every run
    assert clock.delays == list(policy.delays(random.Random(42)))
    first = list(clock.delays)
    clock.delays.clear()
    with pytest.raises(ConnectionError):
        await ts.source([0]).map(never, retry=policy).collect()
    assert clock.delays == first


async def test_retry_only_for_retry_on_exceptions() -> None:
    calls: list[int] = []

    def f(x: int) -> int:
        calls.append(x)
        raise KeyError(x)

    policy = ts.Retry(5, ts.Backoff.none(), retry_on=(ConnectionError,))
    with pytest.raises(KeyError) as info:
        await ts.source([1]).map(f, retry=policy).collect()
    assert calls == [1]
    assert not any("gave up" in n for n in info.value.__notes__)


async def test_retry_of_a_retrying_element_holds_its_slot_while_others_go_on() -> None:
    """concurrency=2, ordered=False: element 0 retries with real waits; the other slot runs every other element,
    and calls in flight never exceed 2."""
    in_flight = 0
    peak = 0
    attempts: dict[int, int] = {}
    finished: list[int] = []

    async def f(x: int) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            attempts[x] = attempts.get(x, 0) + 1
            await asyncio.sleep(0.001)
            if x == 0 and attempts[x] < 3:
                raise ConnectionError("flaky")
            finished.append(x)
            return x
        finally:
            in_flight -= 1

    policy = ts.Retry(3, ts.Backoff.constant(0.05))
    got = await ts.source(range(8)).map(f, concurrency=2, ordered=False, retry=policy).collect()
    assert sorted(got) == list(range(8))
    assert got[-1] == 0 and finished[-1] == 0  # the others did not wait for it
    assert attempts == {0: 3, **{x: 1 for x in range(1, 8)}}
    assert peak <= 2


async def test_retry_in_a_fused_sync_stage_calls_at_most_attempts_times() -> None:
    clock = VirtualClock()
    calls: dict[int, int] = {}

    def f(x: int) -> int:
        calls[x] = calls.get(x, 0) + 1
        if calls[x] <= x % 4:  # x % 4 failures before success
            raise ConnectionError(x)
        return x

    report_src = ts.source(range(100)).map(f, retry=ts.Retry(3, ts.Backoff.none(), sleep=clock.sleep), on_error="skip")
    got = await report_src.collect()
    assert got == [x for x in range(100) if x % 4 < 3]
    assert all(calls[x] == min(x % 4 + 1, 3) for x in range(100))


def test_retry_policy_sleep_and_seed_are_validated() -> None:
    with pytest.raises(TypeError, match="sleep must be"):
        ts.Retry(2, sleep=cast(Any, 3))
    with pytest.raises(TypeError, match="seed must be"):
        ts.Retry(2, seed=cast(Any, "x"))


# ---------------------------------------------------------------------------------------------- accounting


async def test_accounting_every_element_is_out_filtered_skipped_or_failed() -> None:
    src = (
        ts.source(range(100))
        .map(lambda x: 1 // (x % 7) and x, on_error="skip", name="parse")
        .filter(lambda x: x % 2 == 0, name="even")
        .take(20)
    )
    report = await src.run()
    assert report.items == 20
    assert report.items_in >= 20
    for s in report.stages:
        if s.kind != "source":
            assert s.items_in == s.items_out + s.filtered + s.skipped + s.failed, s
    parse_stage = report.stage("parse")
    assert parse_stage.skipped == len([x for x in range(parse_stage.items_in) if x % 7 == 0])


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_accounting_on_a_failed_run_counts_the_failing_element(concurrency: int) -> None:
    out: list[int] = []

    async def f(x: int) -> int:
        await asyncio.sleep(0)
        if x == 50:
            raise Boom(x)
        return x

    src = ts.source(range(100)).map(f, name="f", concurrency=concurrency).tap(out.append, name="record")
    reports: list[ts.RunReport] = []
    with pytest.raises(Boom):
        await src.into(ts.count(), on_report=reports.append)
    [report] = reports
    assert report.outcome == "failed" and report.error is not None and report.error.startswith("Boom")
    stages = {s.name: s for s in report.stages}
    assert stages["f"].failed == 1
    assert stages["f"].items_in == stages["f"].items_out + stages["f"].failed
    assert stages["record"].items_in == stages["record"].items_out == len(out)
    # concurrency 1 delivers every element before the failing one; a pool drops results still in flight
    assert out == list(range(50 if concurrency == 1 else len(out)))


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_run_report_counts_skips_and_retries(concurrency: int) -> None:
    clock = VirtualClock()
    seen: set[int] = set()

    async def f(x: int) -> int:
        await asyncio.sleep(0)
        if x % 5 == 0:
            raise ValueError("permanent")
        if x % 2 == 0 and x not in seen:
            seen.add(x)
            raise ConnectionError("transient")
        return x

    policy = ts.Retry(2, ts.Backoff.none(), retry_on=(ConnectionError,), sleep=clock.sleep)
    report = await ts.source(range(100)).map(f, concurrency=concurrency, retry=policy, on_error="skip").run()
    s = report.stage("f")
    assert (s.items_in, s.items_out, s.skipped, s.failed) == (100, 80, 20, 0)
    assert s.retried == len([x for x in range(100) if x % 2 == 0 and x % 5 != 0])
    assert report.retried == s.retried and report.skipped == 20 and report.items == 80


# ----------------------------------------------------------------------------------------- build-time errors


BAD_OPTIONS: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"concurrency": 0}, ValueError, "stage 'parse': concurrency must be >= 1"),
        ({"concurrency": True}, TypeError, "stage 'parse': concurrency must be an int"),
        ({"on_error": "retry"}, ValueError, "stage 'parse': on_error must be one of 'fail', 'skip', got 'retry'"),
        ({"retry": 3}, TypeError, "stage 'parse': retry must be a Retry or None, got int 3"),
        ({"dead_letter": ts.count()}, ValueError, "stage 'parse': dead_letter= .* needs on_error='skip'"),
        ({"on_error": "skip", "dead_letter": print}, TypeError, "stage 'parse': dead_letter must be a Sink"),
        ({"on_eror": "skip"}, TypeError, "stage 'parse': unknown option 'on_eror'"),
]


@pytest.mark.parametrize(("options", "error", "message"), BAD_OPTIONS)
@pytest.mark.parametrize("operator", ["map", "filter", "flat_map", "tap", "try_map"])
def test_bad_options_fail_at_build_time_naming_stage_and_option(
    operator: str, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        getattr(ts, operator)(parse, **options)
    with pytest.raises(error, match=message):
        getattr(ts.source(["1"]), operator)(parse, **options)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ts.Retry(0), "attempts must be >= 1"),
        (lambda: ts.Backoff.exponential(initial=-1.0), "initial must be >= 0"),
        (lambda: ts.Backoff.constant(-0.5), "initial must be >= 0"),
        (lambda: ts.Backoff(1.0, jitter=2.0), "jitter must be between 0 and 1"),
    ],
)
def test_bad_retry_policies_fail_when_built(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


async def test_result_operator_options_are_checked_too() -> None:
    with pytest.raises(ValueError, match="stage 'inc': concurrency must be >= 1"):
        ts.map_ok(inc, concurrency=0)
    with pytest.raises(ValueError, match="stage 'half': on_error must be one of"):
        ts.source([Success(1)]).bind(half, on_error=cast(Any, "ignore"))


# ------------------------------------------------------------------------------------------ fault injection


def _fails(seed: int, x: int, attempt: int, rate: float) -> bool:
    """A seeded coin for (element, attempt), independent of the order in which calls happen."""
    return random.Random(f"{seed}:{x}:{attempt}").random() < rate


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("mode", ["fused", "async", "pool", "pool-unordered"])
async def test_fault_injection_every_element_is_accounted_for_exactly_once(mode: str, seed: int) -> None:
    """10,000 elements; 5% fail permanently, and 20% of all calls fail transiently. With retry and skip, every
    element comes out exactly once or is dead-lettered exactly once, and the dead letters are exactly the
    permanent failures."""
    n, attempts = 10_000, 10
    permanent = {x for x in range(n) if _fails(seed, x, 0, 0.05)}
    calls: Counter[int] = Counter()

    def call(x: int) -> int:
        calls[x] += 1
        if x in permanent:
            raise ValueError(f"permanent {x}")
        if _fails(seed, x, calls[x], 0.20):
            raise ConnectionError(f"transient {x}")
        return x

    async def acall(x: int) -> int:
        await asyncio.sleep(0)
        return call(x)

    clock = VirtualClock()
    policy = ts.Retry(attempts, ts.Backoff.exponential(0.1, 2, 5, 0.5), retry_on=(ConnectionError,), sleep=clock.sleep, seed=seed)
    dead: list[ts.DeadLetter[int]] = []
    out: list[int] = []
    opts: ts.ElementOptions[int] = {
        "retry": policy,
        "on_error": "skip",
        "dead_letter": ts.for_each(dead.append),
        "concurrency": 16 if mode.startswith("pool") else 1,
        "ordered": mode != "pool-unordered",
        "name": "flaky",
    }
    src = ts.source(range(n))
    built = src.map(call, **opts) if mode == "fused" else src.map(acall, **opts)
    report = await built.tap(out.append).run()

    # the model: an element is dead iff it is permanent, or every one of its attempts failed transiently
    never_recovered = {x for x in range(n) if x not in permanent and all(_fails(seed, x, a, 0.2) for a in range(1, attempts + 1))}
    assert never_recovered == set()  # so with these seeds the dead letters must be exactly the permanent ones
    assert sorted(d.element for d in dead) == sorted(permanent)
    assert all(d.attempts == 1 and isinstance(d.exception, ValueError) for d in dead)
    assert len(out) == len(set(out)), "an element was emitted twice"
    assert sorted(out) == [x for x in range(n) if x not in permanent]
    if mode != "pool-unordered":
        assert out == sorted(out)
    assert set(out).isdisjoint(d.element for d in dead)
    stage = report.stage("flaky")
    assert report.items_in == n == stage.items_in
    assert stage.items_in == stage.items_out + stage.skipped + stage.failed + stage.filtered
    assert (stage.items_out, stage.skipped, stage.failed, stage.filtered) == (n - len(permanent), len(permanent), 0, 0)
    assert stage.retried == sum(calls[x] - 1 for x in range(n) if x not in permanent) == len(clock.delays)
    assert all(c <= attempts for c in calls.values())
    assert 0.15 * n < stage.retried < 0.35 * n  # about 20% of calls failed transiently


async def test_cancelling_a_run_stops_a_blocked_dead_letter_sink_too() -> None:
    """The leak check (conftest) fails this test if the sink's task outlives the cancelled run."""
    sink_blocked = asyncio.Event()

    async def stuck(letter: ts.DeadLetter[int]) -> None:
        sink_blocked.set()
        await asyncio.sleep(10)

    async def f(x: int) -> int:
        await asyncio.sleep(0)
        if x % 2:
            raise Boom(x)
        return x

    task = asyncio.create_task(
        ts.source(range(1000)).map(f, on_error="skip", dead_letter=ts.for_each(stuck)).collect()
    )
    await sink_blocked.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_take_after_a_guarded_pool_closes_retrying_workers() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(10)  # a retry that would take long

    async def f(x: int) -> int:
        await asyncio.sleep(0)
        if x == 0:
            raise ConnectionError(x)
        return x

    got = await ts.source(range(100)).map(
        f, concurrency=4, ordered=False, retry=ts.Retry(3, ts.Backoff.constant(10), sleep=sleep)
    ).take(5).collect()
    assert len(got) == 5 and 0 not in got
    assert waits == [10.0]
