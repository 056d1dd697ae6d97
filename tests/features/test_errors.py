"""Error strategies (docs/design.md, Errors): ``on_error="skip"`` and dead letters, retry, the accounting of every
element, and fault injection at scale.

The engine's rules for these features (5, 11, 12, 16, 17 and 18) are in tests/engine/; ``try_map`` and the
``Result`` operators in tests/operators/test_results.py; the laws in tests/laws/ also draw guarded stages (retry +
skip) from ``tests.support.strategies``."""

from __future__ import annotations

import asyncio
import gc
import random
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream as ts

from tests.support.clock import VirtualClock
from tests.support.errors import Boom
from tests.support.leaks import example_scope


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


class Line:
    """An input element that can be watched for being kept alive."""

    __slots__ = ("n", "__weakref__")

    def __init__(self, n: int) -> None:
        self.n = n


def parse_line(line: Line) -> int:
    if line.n % 97 == 0:
        raise ValueError(line.n)
    return line.n


async def aparse_line(line: Line) -> int:
    await asyncio.sleep(0)
    return parse_line(line)


@pytest.mark.parametrize("mode", ["fused", "fused with retry", "filter", "async", "pool"])
async def test_dead_letters_keep_no_input_element_alive_but_their_own(mode: str) -> None:
    """A kept letter used to keep its whole chunk alive through its exception's traceback (4,938 of 5,000 lines
    here, for 52 letters; 435 MB peak RSS for 1,000,000 lines with 20,000 bad ones, 25 MB without a sink)."""
    alive: list[weakref.ref[Line]] = []

    def lines() -> Iterator[Line]:
        for n in range(5000):
            line = Line(n)
            alive.append(weakref.ref(line))
            yield line

    letters: list[ts.DeadLetter[Line]] = []
    sink = ts.for_each(letters.append)
    src = ts.source(lines())
    if mode == "filter":
        await src.filter(parse_line, on_error="skip", dead_letter=sink).run()
    elif mode == "fused with retry":
        retry = ts.Retry(2, ts.Backoff.none())
        await src.map(parse_line, retry=retry, on_error="skip", dead_letter=sink).run()
    else:
        f = parse_line if mode == "fused" else aparse_line
        await src.map(f, concurrency=4 if mode == "pool" else 1, on_error="skip", dead_letter=sink).run()
    gc.collect()
    kept = {line.n for r in alive if (line := r()) is not None}
    assert len(letters) == 52 and kept == {letter.element.n for letter in letters}
    letter = letters[0]
    assert letter.exception.__traceback__ is None
    frames = ["aparse_line", "parse_line"] if mode in ("async", "pool") else ["parse_line"]
    assert [frame.rpartition(" in ")[2] for frame in letter.raised_at.split(" -> ")] == frames
    assert letter.raised_at.startswith(__file__)


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
        f, retry=ts.Retry(1), on_error="skip", dead_letter=ts.for_each(lambda d: dead.append(d.element), of=ts.DeadLetter[int])
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

    src = ts.source(range(4000)).filter(pred, on_error="skip", dead_letter=ts.for_each(lambda d: dead.append(d.element), of=ts.DeadLetter[int]))
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


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 30),
    st.sampled_from([2, 8]),
    st.booleans(),
    st.sampled_from(["map", "filter", "tap"]),
)
async def test_accounting_holds_for_a_pool_that_skips_when_the_run_stops_early(
    n: int, concurrency: int, ordered: bool, kind: str
) -> None:
    """Counted, not derived: a skipping pool stopped by take(n) used to report filtered = -5 (its skips were
    counted when they happened, its items_in only when their turn in the order came)."""

    async def f(x: int) -> int:
        await asyncio.sleep(0.004 if x % 4 == 0 else 0.0005)
        if x % 3 == 0:
            raise ValueError(x)
        return x % 2 if kind == "filter" else x

    with example_scope():
        src = getattr(ts.source(range(100)), kind)(f, concurrency=concurrency, ordered=ordered, on_error="skip")
        report = await src.take(n).run()
    s = report.stage("f")
    assert min(s.items_in, s.items_out, s.filtered, s.skipped, s.failed) >= 0, s
    assert s.items_in == s.items_out + s.filtered + s.skipped + s.failed, s
    assert report.items == n


@pytest.mark.parametrize("concurrency", [1, 2])
@pytest.mark.parametrize("after", [0.0, 0.002, 0.005])
async def test_accounting_holds_when_a_run_is_cancelled_while_a_dead_letter_waits_for_its_sink(
    concurrency: int, after: float
) -> None:
    """A fused stage cancelled while a letter waited for a slow sink counted its skips but not the elements it had
    finished in that chunk (in 1,023, out 819, skipped 257); found by the random-cancellation law."""

    async def slow_sink(chunks: AsyncIterator[list[ts.DeadLetter[int]]]) -> None:
        async for _ in chunks:
            await asyncio.sleep(0.001)

    reports: list[ts.RunReport] = []
    src = ts.source(range(20_000)).map(
        _fails_at_3_mod_5, concurrency=concurrency, on_error="skip", dead_letter=ts.Sink(slow_sink, name="slow")
    )
    task = asyncio.create_task(src.run(on_report=reports.append))
    await asyncio.sleep(after)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    s = reports[0].stage("_fails_at_3_mod_5")
    assert s.items_in == s.items_out + s.filtered + s.skipped + s.failed, s


def _fails_at_3_mod_5(x: int) -> int:
    if x % 5 == 3:
        raise ValueError(x)
    return x


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
