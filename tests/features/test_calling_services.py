"""Calling services (docs/calling-services.md): retry that listens to the server (``delay_from``), a per-element
``deadline`` and ``on_retry`` events; ``RateLimit``, the token bucket every call takes a token from, retries
included, shared by stages and pipelines and paused by a server's delay; ``timeout=`` per call.

Timing rules run on a virtual-time loop (``run_virtual``): waits are exact and take no real time."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream as ts

from tests.support.clock import VirtualClock, run_virtual


@dataclass
class TooMany(Exception):
    """A 429 with its ``Retry-After``."""

    after: float | None = None


def retry_after(e: Exception) -> float | None:
    return e.after if isinstance(e, TooMany) else None


def now() -> float:
    return asyncio.get_running_loop().time()


def most_in_a_window(starts: list[float], per: float) -> int:
    """The most call starts in any half-open window of ``per`` seconds (a window starting at a call is enough)."""
    starts = sorted(starts)
    return max((sum(1 for t in starts[i:] if t < s + per - 1e-9) for i, s in enumerate(starts)), default=0)


# -- Retry(delay_from=, deadline=, on_retry=) -------------------------------------------------------------------


def test_the_delay_comes_from_the_exception_else_from_the_backoff() -> None:
    tries: dict[int, int] = {}

    async def call(x: int) -> int:
        tries[x] = tries.get(x, 0) + 1
        if tries[x] == 1:
            raise TooMany(2.5 if x == 0 else None)  # element 1: no Retry-After, so the backoff's 0.25 s
        return x

    clock = VirtualClock()
    retry = ts.Retry(2, ts.Backoff.constant(0.25), sleep=clock.sleep, delay_from=retry_after)

    async def main() -> list[int]:
        return await ts.source([0, 1]).map(call, retry=retry).collect()

    assert asyncio.run(main()) == [0, 1]
    assert clock.delays == [2.5, 0.25]


def test_on_retry_is_told_each_retry_before_its_wait() -> None:
    events: list[ts.RetryEvent] = []
    clock = VirtualClock()

    def on_retry(event: ts.RetryEvent) -> None:
        assert clock.delays == [e.delay for e in events]  # called before the wait it announces
        events.append(event)

    def flaky(x: int) -> int:
        if len([e for e in events if e.element == x]) < 2:
            raise TooMany(1.5)
        return x * 10

    retry = ts.Retry(3, ts.Backoff.none(), sleep=clock.sleep, delay_from=retry_after, on_retry=on_retry)

    async def main() -> list[int]:
        return await ts.source([7]).map(flaky, retry=retry, name="fetch").collect()

    assert asyncio.run(main()) == [70]
    assert [(e.stage, e.element, e.attempt, e.delay) for e in events] == [("fetch", 7, 1, 1.5), ("fetch", 7, 2, 1.5)]
    assert all(isinstance(e.exception, TooMany) for e in events)
    assert events[1].elapsed >= 1.5  # the first wait is part of the element's time


def test_a_deadline_gives_up_when_the_next_wait_would_pass_it() -> None:
    starts: list[float] = []

    async def always_busy(x: int) -> int:
        starts.append(now())
        raise TooMany()

    dead: list[ts.DeadLetter[int]] = []
    retry = ts.Retry(10, ts.Backoff.constant(1.0), deadline=3.5)

    async def main() -> ts.RunReport:
        src = ts.source([1]).map(always_busy, retry=retry, on_error="skip", dead_letter=ts.for_each(dead.append))
        return await src.run()

    report = run_virtual(main)
    assert starts == [0.0, 1.0, 2.0, 3.0]  # a fifth attempt would start at 4.0, past the deadline
    assert [d.attempts for d in dead] == [4]
    assert any("deadline of 3.5 s" in n for n in dead[0].exception.__notes__)
    assert report.stages[1].retried == 3 and report.stages[1].skipped == 1


def test_a_deadline_counts_the_time_the_calls_took() -> None:
    async def slow_and_failing(x: int) -> int:
        await asyncio.sleep(2.0)
        raise TooMany()

    retry = ts.Retry(10, ts.Backoff.constant(1.0), deadline=5.5)

    async def main() -> None:
        await ts.source([1]).map(slow_and_failing, retry=retry).collect()

    with pytest.raises(TooMany) as info:
        run_virtual(main)
    # attempts at 0 and 3 (each 2 s, then a 1 s wait); the wait after the second would end at 6 > 5.5
    assert "typedstream: gave up after 2 attempts" in info.value.__notes__


def test_a_retry_policy_that_raises_fails_the_run_and_says_so() -> None:
    def broken(e: Exception) -> float | None:
        raise KeyError("retry-after")

    def fails(x: int) -> int:
        raise TooMany(1)

    async def main() -> None:
        await ts.source([1]).map(fails, retry=ts.Retry(3, delay_from=broken), on_error="skip").collect()

    with pytest.raises(KeyError) as info:
        asyncio.run(main())
    assert any("Retry(delay_from=...) of stage 'fails' raised" in n for n in info.value.__notes__)


def test_a_delay_from_that_gives_a_bad_delay_is_an_error_naming_it() -> None:
    def fails(x: int) -> int:
        raise TooMany(-1)

    async def main() -> None:
        await ts.source([1]).map(fails, retry=ts.Retry(3, delay_from=retry_after)).collect()

    with pytest.raises(ValueError, match=r"delay_from\(exception\) must be None or a finite number of seconds"):
        asyncio.run(main())


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"delay_from": 3}, TypeError, "delay_from must be callable"),
        ({"on_retry": "log"}, TypeError, "on_retry must be callable"),
        ({"deadline": 0}, ValueError, "deadline must be a positive number of seconds"),
        ({"deadline": float("inf")}, ValueError, "deadline must be a positive number of seconds"),
        ({"deadline": "5"}, TypeError, "deadline must be a number of seconds"),
    ],
)
def test_the_retry_options_are_checked_when_the_policy_is_built(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ts.Retry(3, **kwargs)  # type: ignore[arg-type]


# -- RateLimit ------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    rate=st.integers(1, 40),
    per=st.sampled_from([0.1, 0.5, 1.0, 3.0]),
    burst=st.integers(0, 5),
    gaps=st.lists(st.sampled_from([0.0, 0.0, 0.01, 0.3, 2.0]), min_size=1, max_size=60),
    concurrency=st.integers(1, 8),
    fail_every=st.integers(0, 4),
)
def test_no_window_holds_more_than_rate_plus_burst_calls_retries_included(
    rate: int, per: float, burst: int, gaps: list[float], concurrency: int, fail_every: int
) -> None:
    starts: list[float] = []
    tries: dict[int, int] = {}

    async def gen() -> AsyncIterator[int]:  # elements that arrive with the given gaps
        for i, gap in enumerate(gaps):
            await asyncio.sleep(gap)
            yield i

    async def call(x: int) -> int:
        starts.append(now())
        tries[x] = tries.get(x, 0) + 1
        if fail_every and x % fail_every == 0 and tries[x] == 1:
            raise TooMany()
        return x

    limit = ts.RateLimit(rate, per, burst)

    async def main() -> list[int]:
        src = ts.source(gen()).map(
            call, concurrency=concurrency, rate_limit=limit, retry=ts.Retry(2, ts.Backoff.none())
        )
        return await src.collect()

    assert run_virtual(main) == list(range(len(gaps)))
    assert len(starts) == len(gaps) + sum(1 for x in range(len(gaps)) if fail_every and x % fail_every == 0)
    assert most_in_a_window(starts, per) <= rate + burst
    assert limit.calls == len(starts)
    # and it does not hold calls back beyond the spacing: the last call starts by the time the inputs arrived
    # plus one interval per call
    assert max(starts) <= sum(gaps) + len(starts) * per / rate + 1e-6


def test_without_burst_calls_are_spaced_not_released_when_a_window_turns() -> None:
    starts: list[float] = []

    async def call(x: int) -> int:
        starts.append(now())
        return x

    async def main() -> None:
        await ts.source(range(10)).map(call, concurrency=10, rate_limit=ts.RateLimit(5, per=1.0)).collect()

    run_virtual(main)
    assert starts == pytest.approx([0.2 * i for i in range(10)])


def test_burst_calls_go_back_to_back_after_a_quiet_spell() -> None:
    starts: list[float] = []

    async def call(x: int) -> int:
        starts.append(now())
        return x

    async def main() -> None:
        await ts.source(range(6)).map(call, concurrency=6, rate_limit=ts.RateLimit(2, per=1.0, burst=3)).collect()

    run_virtual(main)
    assert starts == pytest.approx([0.0, 0.0, 0.0, 0.0, 0.5, 1.0])  # 1 + burst at once, then spaced


def test_one_limiter_limits_stages_and_pipelines_together() -> None:
    starts: list[float] = []

    async def call(x: int) -> int:
        starts.append(now())
        return x

    limit = ts.RateLimit(10, per=1.0)

    async def main() -> list[list[int]]:
        one = ts.source(range(10)).map(call, concurrency=4, rate_limit=limit).map(call, rate_limit=limit)
        other = ts.source(range(10)).map(call, concurrency=4, rate_limit=limit)
        return list(await asyncio.gather(one.collect(), other.collect()))

    assert run_virtual(main) == [list(range(10)), list(range(10))]
    assert len(starts) == 30
    assert most_in_a_window(starts, 1.0) <= 10
    assert max(starts) == pytest.approx(2.9)  # 30 calls, 0.1 s apart, whatever stage or pipeline made them


def test_weighted_calls_take_their_cost_in_tokens() -> None:
    starts: list[tuple[str, float]] = []

    async def ask(prompt: str) -> str:
        starts.append((prompt, now()))
        return prompt.upper()

    async def main() -> list[str]:
        limit = ts.RateLimit(100, per=1.0, burst=100)  # 100 tokens a second, up to 200 at once after a pause
        src = ts.source(["a" * 150, "b" * 100, "c" * 50]).map(ask, rate_limit=limit, rate_cost=len)
        return await src.collect()

    assert run_virtual(main) == ["A" * 150, "B" * 100, "C" * 50]
    # a: at once (150 <= 200); b waits until a is paid for, less the burst: 1.5 - 1.0; c: until b is, 2.5 - 1.0
    assert [t for _, t in starts] == pytest.approx([0.0, 0.5, 1.5])


def test_a_delay_from_the_server_pauses_every_stage_on_the_limiter() -> None:
    starts: list[tuple[str, int, float]] = []

    async def first(x: int) -> int:
        starts.append(("first", x, now()))
        if x == 3 and sum(1 for name, y, _ in starts if (name, y) == ("first", 3)) == 1:
            raise TooMany(5.0)
        return x

    async def second(x: int) -> int:
        starts.append(("second", x, now()))
        return x

    limit = ts.RateLimit(10, per=1.0)
    retry = ts.Retry(2, delay_from=retry_after)

    async def main() -> list[list[int]]:
        a = ts.source(range(6)).map(first, concurrency=3, rate_limit=limit, retry=retry)
        b = ts.source(range(20)).map(second, concurrency=3, rate_limit=limit)
        return list(await asyncio.gather(a.collect(), b.collect()))

    assert run_virtual(main) == [list(range(6)), list(range(20))]
    refused_at = next(t for name, x, t in starts if (name, x) == ("first", 3))
    during = [(name, x) for name, x, t in starts if refused_at < t < refused_at + 5.0 - 1e-9]
    assert during == [], "no call may start while the server asked for a pause"
    assert any(t >= refused_at + 5.0 for name, _, t in starts if name == "second"), "the other stage resumed"
    assert most_in_a_window([t for _, _, t in starts], 1.0) <= 10


def test_a_limiter_with_an_injected_clock() -> None:
    clock = VirtualClock()
    limit = ts.RateLimit(4, per=2.0, clock=clock)

    async def main() -> list[float]:
        return [await limit.acquire() for _ in range(4)]

    assert asyncio.run(main()) == [0.0, 0.5, 0.5, 0.5]
    assert clock.delays == [0.5, 0.5, 0.5]
    assert limit.calls == 4 and limit.waited == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((0,), {}, ValueError, "rate must be a finite number > 0"),
        (("5",), {}, TypeError, "rate must be a number of calls"),
        ((5, 0), {}, ValueError, "per must be a positive number of seconds"),
        ((5,), {"burst": -1}, ValueError, "burst must be >= 0"),
        ((5,), {"burst": 1.5}, TypeError, "burst must be an int"),
        ((5,), {"clock": object()}, TypeError, "clock must be an object with time"),
        ((1e-320,), {}, ValueError, "gives inf seconds between calls"),
        ((5,), {"burst": 10**400}, ValueError, "burst must be at most 10"),
    ],
)
def test_the_limiter_is_checked_when_built(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ts.RateLimit(*args, **kwargs)  # type: ignore[arg-type]


def test_the_stage_options_are_checked_naming_the_stage() -> None:
    async def fetch(x: int) -> int:
        return x

    def parse(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="stage 'fetch': rate_limit must be a RateLimit or None"):
        ts.map(fetch, rate_limit=5)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="stage 'fetch': rate_cost= .* needs rate_limit="):
        ts.map(fetch, rate_cost=lambda x: 1.0)
    with pytest.raises(ValueError, match="stage 'parse': timeout= limits each call of an async function"):
        ts.map(parse, timeout=1.0)
    with pytest.raises(ValueError, match="stage 'fetch': timeout must be a positive number of seconds"):
        ts.map(fetch, timeout=0)
    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(ValueError, match="stage 'parse': .* chunk_size must be 1 or left out"):
            ts.map(parse, executor=pool, chunk_size=10, rate_limit=ts.RateLimit(1))
    def later(x: int) -> Awaitable[int]:  # not an async def: it returns one
        return fetch(x)

    ts.map(ts.awaiting(later), timeout=1.0)


@pytest.mark.parametrize("on", ["loop", "executor"])
def test_a_bad_rate_cost_ends_the_run_naming_the_stage_whatever_the_element_options(on: str) -> None:
    """A rate_cost that fails is a bug of the stage (like a failing delay_from), not the element's failure to
    retry or skip: the same on the loop and on an executor."""

    def fetch(x: str) -> str:
        return x

    async def main() -> ts.RunReport:
        with ThreadPoolExecutor(1) as pool:
            src = ts.source(["a"]).map(
                fetch,
                rate_limit=ts.RateLimit(5),
                rate_cost=lambda s: -1,
                retry=ts.Retry(3, ts.Backoff.none()),
                on_error="skip",
                executor=pool if on == "executor" else None,
            )
            reports: list[ts.RunReport] = []
            try:
                await src.collect(on_report=reports.append)
            finally:
                assert reports[0].stages[1].failed == 1 and reports[0].stages[1].retried == 0
            return reports[0]

    with pytest.raises(ValueError, match="stage 'fetch': rate_cost must give a finite number of tokens >= 0, got -1"):
        asyncio.run(main())


# -- timeout= -------------------------------------------------------------------------------------------------


def test_a_call_that_takes_too_long_raises_timeout_error_in_its_element_and_is_retried() -> None:
    starts: list[float] = []

    async def hangs_twice(x: int) -> int:
        starts.append(now())
        if len(starts) <= 2:
            await asyncio.sleep(60)
        return x

    async def main() -> ts.RunReport:
        return await ts.source([1]).map(hangs_twice, timeout=2.0, retry=ts.Retry(3, ts.Backoff.constant(1))).run()

    report = run_virtual(main)
    assert starts == [0.0, 3.0, 6.0]  # each attempt has its own 2 s; 1 s between them
    assert report.stages[1].timed_out == 2 and report.stages[1].retried == 2 and report.items == 1


def test_a_timed_out_element_is_skipped_or_ends_the_run_with_the_stage_named() -> None:
    async def slow(x: int) -> int:
        await asyncio.sleep(x)
        return x

    dead: list[ts.DeadLetter[int]] = []

    async def skipping() -> list[int]:
        src = ts.source([1, 5, 2]).map(slow, timeout=3.0, on_error="skip", dead_letter=ts.for_each(dead.append))
        return await src.collect()

    assert run_virtual(skipping) == [1, 2]
    assert [d.element for d in dead] == [5] and isinstance(dead[0].exception, TimeoutError)
    assert "took longer than timeout=3 s" in str(dead[0].exception)

    async def failing() -> list[int]:
        return await ts.source([1, 5]).map(slow, timeout=3.0).collect()

    with pytest.raises(TimeoutError) as info:
        run_virtual(failing)
    assert any("stage 'slow' failed on element 5" in n for n in info.value.__notes__)


def test_the_functions_own_timeout_error_is_not_counted_as_timed_out() -> None:
    async def refuses(x: int) -> int:
        raise TimeoutError("the service's own")

    async def main() -> ts.RunReport:
        return await ts.source([1]).map(refuses, timeout=3.0, on_error="skip").run()

    report = run_virtual(main)
    assert report.stages[1].timed_out == 0 and report.stages[1].skipped == 1


def test_timeout_on_an_executor_fails_the_element_and_the_run_waits_for_the_call() -> None:
    finished: list[int] = []

    def slow(x: int) -> int:
        time.sleep(0.5 if x == 2 else 0.0)
        finished.append(x)
        return x

    dead: list[ts.DeadLetter[int]] = []

    async def main() -> ts.RunReport:
        with ThreadPoolExecutor(2) as pool:
            src = ts.source(range(4)).map(
                slow, executor=pool, timeout=0.1, on_error="skip", dead_letter=ts.for_each(dead.append)
            )
            report = await src.run()
            assert 2 in finished, "the run ended while a call it started was still running"
            return report

    report = asyncio.run(main())
    assert [d.element for d in dead] == [2] and isinstance(dead[0].exception, TimeoutError)
    assert report.stages[1].timed_out == 1 and report.items == 3


# -- metrics ---------------------------------------------------------------------------------------------------


async def test_the_report_shows_rate_and_retry_waits_apart_from_busy_time() -> None:
    tries: dict[int, int] = {}

    async def call(x: int) -> int:
        tries[x] = tries.get(x, 0) + 1
        if x == 0 and tries[x] == 1:
            raise TooMany(0.2)
        return x

    src = ts.source(range(6)).map(
        call, rate_limit=ts.RateLimit(20, per=1.0), retry=ts.Retry(2, delay_from=retry_after)
    )
    report = await src.run()
    stage = report.stages[1]
    assert stage.retry_wait >= 0.2 * 0.9
    assert stage.rate_wait >= 0.1  # 7 calls 50 ms apart, the pause after the 429 included
    assert stage.busy < 0.05  # the calls themselves take no time
    table = report.table(plain=True, width=200)
    assert "rate wait" in table and "retry wait" in table and "timed out" not in table
    assert report.to_dict()["stages"][1]["rate_wait"] == stage.rate_wait


def test_flat_map_and_try_map_take_a_token_per_call_too() -> None:
    starts: list[float] = []

    async def pair(x: int) -> list[int]:
        starts.append(now())
        return [x, x]

    async def half(x: int) -> int:
        starts.append(now())
        if x % 2:
            raise ValueError(x)
        return x // 2

    async def main() -> list[object]:
        limit = ts.RateLimit(4, per=1.0)
        flat = ts.source(range(3)).flat_map(pair, rate_limit=limit)
        tried = ts.source(range(3)).try_map(half, catch=ValueError, rate_limit=limit)
        return [await flat.collect(), len(await tried.collect())]

    assert run_virtual(main) == [[0, 0, 1, 1, 2, 2], 3]
    assert starts == pytest.approx([0.25 * i for i in range(6)])


async def test_a_run_cancelled_while_calls_wait_for_tokens_leaves_nothing_behind() -> None:
    started: list[int] = []

    async def call(x: int) -> int:
        started.append(x)
        return x

    src = ts.source(range(50)).map(call, concurrency=10, rate_limit=ts.RateLimit(20, per=1.0))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(src.collect(), 0.3)
    assert 3 <= len(started) <= 8  # 20 a second: about six in 0.3 s, the rest never started
    await asyncio.sleep(0.2)
    assert len(started) <= 8, "a call started after its run was cancelled"


def test_on_an_executor_every_call_takes_a_token_retries_included() -> None:
    starts: list[float] = []
    tries: dict[int, int] = {}

    def call(x: int) -> int:
        starts.append(time.monotonic())
        tries[x] = tries.get(x, 0) + 1
        if x == 2 and tries[x] == 1:
            raise TooMany()
        return x

    async def main() -> ts.RunReport:
        with ThreadPoolExecutor(4) as pool:
            src = ts.source(range(8)).map(
                call, executor=pool, rate_limit=ts.RateLimit(20), retry=ts.Retry(2, ts.Backoff.none())
            )
            reports: list[ts.RunReport] = []
            assert await src.collect(on_report=reports.append) == list(range(8))
            return reports[0]

    report = asyncio.run(main())
    assert len(starts) == 9  # one retry
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:])]
    assert min(gaps) >= 0.05 * 0.8, gaps  # spaced by the limiter, not sent in chunks
    assert report.stages[1].rate_wait > 0.2


def test_a_limiter_kept_from_one_event_loop_to_the_next_starts_afresh_on_the_new_clock() -> None:
    limit = ts.RateLimit(10, per=1.0)

    async def calls() -> list[float]:
        return [await limit.acquire() for _ in range(3)]

    assert asyncio.run(calls()) == pytest.approx([0.0, 0.1, 0.1], abs=0.02)  # the real loop: monotonic time
    assert run_virtual(calls) == [0.0, 0.1, 0.1]  # a loop whose clock starts at 0: not a wait of hours
    assert asyncio.run(calls()) == pytest.approx([0.0, 0.1, 0.1], abs=0.02)


def test_throttle_is_the_same_bucket_on_elements() -> None:
    async def stamps(stage: ts.SameStage) -> list[float]:
        return [now() async for _ in ts.source(range(6)) | stage]

    assert run_virtual(lambda: stamps(ts.throttle(4, per=1.0))) == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    assert run_virtual(lambda: stamps(ts.throttle(4, per=1.0, burst=2))) == pytest.approx([0, 0, 0, 0.25, 0.5, 0.75])
    with pytest.raises(ValueError, match="stage 'throttle': burst must be >= 0"):
        ts.throttle(4, burst=-1)


def test_a_cancelled_waiter_gives_its_reservation_back() -> None:
    """A run that stops early (take) leaves no phantom reservations that would slow the limiter's next user."""
    limit = ts.RateLimit(10, per=1.0)

    async def call(x: int) -> int:
        return x

    async def main() -> float:
        assert await ts.source(range(100)).map(call, rate_limit=limit, concurrency=20).take(2).collect() == [0, 1]
        await asyncio.sleep(0.2)
        started = now()
        await ts.source([7]).map(call, rate_limit=limit).collect()
        return now() - started

    assert run_virtual(main) == pytest.approx(0.0, abs=1e-9)  # the limiter was idle: no wait


def test_a_fractional_rate_holds_at_most_its_ceiling_in_a_window() -> None:
    starts: list[float] = []

    async def call(x: int) -> int:
        starts.append(now())
        return x

    async def main() -> None:
        await ts.source(range(12)).map(call, concurrency=6, rate_limit=ts.RateLimit(2.5, per=1.0)).collect()

    run_virtual(main)
    assert most_in_a_window(starts, 1.0) == 3  # 0.4 s apart: three fit in a second, never four


async def test_in_real_time_the_window_bound_holds_for_the_calls_actual_starts() -> None:
    starts: list[float] = []

    async def call(x: int) -> int:
        starts.append(now())
        return x

    gc.disable()  # a collection between the token and the call would move a start by more than the margin
    try:
        await ts.source(range(60)).map(call, concurrency=20, rate_limit=ts.RateLimit(20, per=0.1)).collect()
    finally:
        gc.enable()
    starts.sort()
    # The limiter counts the moment it lets a call through; the call records its start a few microseconds later
    # (more if the OS preempts the process on a loaded machine): a margin of 1 ms, against lateness of the
    # same order that the limiter's log of actual starts absorbs.
    assert max(sum(1 for u in starts[i:] if u < t + 0.1 - 1e-3) for i, t in enumerate(starts)) <= 20


def test_a_call_that_swallows_its_timeout_still_times_out() -> None:
    async def stubborn(x: int) -> int:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass  # swallowed: the late result must not be used
        return x

    async def main() -> ts.RunReport:
        return await ts.source([1]).map(stubborn, timeout=1.0, on_error="skip").run()

    report = run_virtual(main)
    assert report.items == 0 and report.stages[1].timed_out == 1 and report.stages[1].skipped == 1


def test_executor_timeouts_count_from_a_free_worker_not_from_the_queue() -> None:
    """A call that timed out holds its worker until it ends; the next calls wait for a free worker rather than
    use up their time behind it, so only the slow elements time out."""
    ran: list[int] = []

    def work(x: int) -> int:
        ran.append(x)
        time.sleep(0.3 if x in (0, 1) else 0.0)
        return x

    dead: list[ts.DeadLetter[int]] = []

    async def main() -> ts.RunReport:
        with ThreadPoolExecutor(2) as pool:
            src = ts.source(range(8)).map(
                work, executor=pool, timeout=0.05, on_error="skip", dead_letter=ts.for_each(dead.append)
            )
            return await src.run()

    report = asyncio.run(main())
    assert sorted(d.element for d in dead) == [0, 1] and report.items == 6
    assert report.stages[1].timed_out == 2 and sorted(ran) == list(range(8))
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match="concurrency must be at most the executor's 2 workers"):
            ts.map(work, executor=pool, timeout=1.0, concurrency=4)


def test_on_an_executor_the_deadline_counts_from_the_first_call() -> None:
    events: list[ts.RetryEvent] = []

    def slow_failure(x: int) -> int:
        time.sleep(0.3)
        raise TooMany()

    async def main() -> ts.RunReport:
        with ThreadPoolExecutor(1) as pool:
            retry = ts.Retry(5, ts.Backoff.constant(0.1), deadline=0.35, on_retry=events.append)
            return await ts.source([1]).map(slow_failure, executor=pool, retry=retry, on_error="skip").run()

    report = asyncio.run(main())
    assert events == [] and report.stages[1].skipped == 1  # 0.3 s taken + 0.1 s wait would pass 0.35 s
