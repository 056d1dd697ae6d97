"""Rule 12: Cancellation is never handled. A ``CancelledError`` is never retried, skipped, caught into a ``Result``
or wrapped; it reaches the consumer as itself, also when it arrives while the run is closing.

The two ``test_cancellation_*`` tests check it for ``asyncio.wait_for`` and ``Task.cancel`` of a whole run: the
workers are cancelled, the generators closed and the caller sees the cancellation.

Timing-based tests use small sleeps (1-20 ms) and generous tolerances; what they assert is ordering and bounds,
never exact durations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import typedstream as ts

from tests.support.calls import InFlight, until
from tests.support.errors import Boom
from tests.support.sources import acounting, counting

# ------------------------------------------------------------------------------------ cancellation


async def test_cancellation_wait_for_cancels_workers_and_closes_generators() -> None:
    events: list[str] = []
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0)

    src = ts.source(acounting([], events=events)).map(f, concurrency=4).buffer(2)
    with pytest.raises(TimeoutError) as info:
        await asyncio.wait_for(src.collect(), 0.02)
    assert isinstance(info.value.__cause__ or info.value.__context__, asyncio.CancelledError)
    assert events == ["source"]
    assert probe.now == 0 and len(probe.cancelled) == 4


async def test_cancellation_task_cancel_propagates_cancelled_error() -> None:
    events: list[str] = []
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 10.0 if x > 3 else 0.0)

    def fine(x: int) -> int:
        return x

    src = ts.source(counting([], events=events)).map(f, concurrency=3, ordered=False).map(fine)
    task = asyncio.create_task(src.collect())
    await until(lambda: probe.now == 3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert events == ["source"]
    assert probe.now == 0 and len(probe.cancelled) == 3


@pytest.mark.parametrize("where", ["sequential", "pool", "buffer", "merge", "timeout", "batch_within", "flat_map"])
async def test_rule12_cancellation_is_not_turned_into_another_error(where: str) -> None:
    events: list[str] = []
    reached = asyncio.Event()

    async def block(x: int) -> int:
        reached.set()
        await asyncio.sleep(10)
        return x

    async def blocking_inner(x: int) -> AsyncIterator[int]:
        yield x
        reached.set()
        await asyncio.sleep(10)

    async def stalled() -> AsyncIterator[int]:
        yield 0
        reached.set()
        await asyncio.sleep(10)
        yield 1

    base = ts.source(acounting([], events=events))
    builders: dict[str, Callable[[], ts.Source[Any]]] = {
        "sequential": lambda: base.map(block),
        "pool": lambda: base.map(block, concurrency=3),
        "buffer": lambda: base.map(block).buffer(3),
        "merge": lambda: base.map(block).merge(ts.source(stalled())),
        "timeout": lambda: base.map(block).timeout(5.0),
        "batch_within": lambda: ts.source(stalled()).batch_within(5, 5.0).merge(base.map(block)),
        "flat_map": lambda: base.flat_map(blocking_inner),
    }
    src = builders[where]()
    task = asyncio.create_task(src.collect())
    await reached.wait()
    await asyncio.sleep(0.002)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except BaseException as e:  # pragma: no cover - the failure being tested for
        pytest.fail(f"cancellation surfaced as {type(e).__name__}: {e!r}")
    else:
        pytest.fail("cancellation was swallowed: the run returned normally")
    assert task.cancelled()
    assert events == ["source"]


async def test_rule12_cancellation_during_cleanup_is_not_swallowed() -> None:
    """A task cancelled while a run is closing (a buffer task still finishing) stays cancelled."""
    closing = asyncio.Event()
    after_close: list[str] = []

    async def slow_to_close() -> AsyncIterator[int]:
        try:
            yield 0
            await asyncio.sleep(10)
            yield 1
        finally:
            closing.set()
            await asyncio.sleep(0.02)  # cleanup that takes a while

    async def consumer() -> None:
        async with ts.source(slow_to_close()).buffer(2).stream() as it:
            async for _ in it:
                break
        after_close.append("ran on after the stream was closed")

    task = asyncio.create_task(consumer())
    await closing.wait()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert task.cancelled(), f"the cancellation was lost; the consumer went on: {after_close}"


async def test_rule12_cancellation_during_cleanup_after_an_error_is_not_turned_into_the_error() -> None:
    """An error is surfacing and the run is closing when the consumer is cancelled: the task ends cancelled."""
    closing = asyncio.Event()

    async def slow_to_close() -> AsyncIterator[int]:
        try:
            yield 0
            await asyncio.sleep(10)
            yield 1
        finally:
            closing.set()
            await asyncio.sleep(0.02)

    def fail(x: int) -> int:
        raise Boom(x)

    task = asyncio.create_task(ts.source(slow_to_close()).map(fail).collect())
    await closing.wait()
    task.cancel()
    with pytest.raises((asyncio.CancelledError, Boom)):
        await task
    assert task.cancelled(), "the cancellation was turned into the run's error"


# ------------------------------------------------------------------- rule 12 with retry, skip and try_map

GUARDS: dict[str, dict[str, Any]] = {
    "retry": {"retry": ts.Retry(5, ts.Backoff.none())},
    "skip": {"on_error": "skip"},
    "retry+skip+dead_letter": {"retry": ts.Retry(5, ts.Backoff.none()), "on_error": "skip"},
}


@pytest.mark.parametrize("concurrency", [1, 3])
@pytest.mark.parametrize("guard", list(GUARDS))
@pytest.mark.parametrize("operator", ["map", "try_map"])
async def test_rule12_cancellation_is_never_retried_skipped_or_turned_into_a_result(
    operator: str, guard: str, concurrency: int
) -> None:
    calls: list[int] = []
    dead: list[ts.DeadLetter[int]] = []
    reached = asyncio.Event()

    async def block(x: int) -> int:
        calls.append(x)
        reached.set()
        await asyncio.sleep(10)
        return x

    options: dict[str, Any] = {**GUARDS[guard], "concurrency": concurrency}
    if guard.endswith("dead_letter"):
        options["dead_letter"] = ts.for_each(dead.append)
    src: ts.Source[Any] = getattr(ts.source([1]), operator)(block, **options)
    task = asyncio.create_task(src.collect())
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert calls == [1], "a cancelled call was retried"
    assert dead == [], "a cancelled element was dead-lettered"


async def test_rule12_cancellation_during_a_retry_wait_ends_the_run() -> None:
    calls: list[int] = []
    waiting = asyncio.Event()

    async def sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.sleep(10)

    def flaky(x: int) -> int:
        calls.append(x)
        raise ConnectionError(x)

    src = ts.source([1]).map(flaky, retry=ts.Retry(3, ts.Backoff.constant(10), sleep=sleep), on_error="skip")
    task = asyncio.create_task(src.collect())
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == [1]


# ------------------------------------------------------- user code that swallows a cancellation (once)


class SwallowsOnce:
    """An async stage function whose first cancellation it catches and ignores (returning its element), as
    careless user code does; later ones it lets through."""

    def __init__(self, delay: float = 0.005) -> None:
        self.delay = delay
        self.calls = 0
        self.swallowed = 0
        self.__name__ = "swallows"

    async def __call__(self, x: int) -> int:
        self.calls += 1
        try:
            await asyncio.sleep(self.delay)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1
        return x


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("stop", ["take", "break"])
async def test_rule12_an_early_exit_ends_even_if_user_code_swallows_the_cancellation(concurrency: int, stop: str) -> None:
    """The workers still running when take(3) or a break closes the stage are cancelled until they end: before,
    a worker that swallowed its cancellation went on calling the function over the rest of the input."""
    f = SwallowsOnce()
    src = ts.source(counting([])).map(f, concurrency=concurrency)
    async with asyncio.timeout(2):
        if stop == "take":
            assert await src.take(3).collect() == [0, 1, 2]
        else:
            async with src.stream() as it:
                async for x in it:
                    if x == 2:
                        break
    assert f.calls <= 3 + 2 * concurrency, f.calls


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_rule12_a_cancelled_run_ends_cancelled_even_if_user_code_swallows_it(concurrency: int) -> None:
    """The consumer's cancellation is never lost: at concurrency 1 the run used to return normally after the
    function swallowed it, and with a pool the cancel only took effect after the rest of the input."""
    f = SwallowsOnce(delay=0.05)
    task = asyncio.create_task(ts.source(range(100)).map(f, concurrency=concurrency).collect())
    await until(lambda: f.calls >= concurrency)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(2):
            await task
    assert task.cancelled()
    assert f.calls <= 2 * concurrency + 1, f.calls


async def test_rule12_a_second_cancellation_while_merge_closes_leaves_no_task_behind() -> None:
    async def slow_source(label: str) -> AsyncIterator[str]:
        try:
            while True:
                await asyncio.sleep(0.001)
                yield label
        finally:
            closing.append(label)
            await asyncio.sleep(0.03)  # a finalizer that awaits: the second cancellation lands while it runs

    closing: list[str] = []
    src = ts.source(slow_source("a")).merge(ts.source(slow_source("b")), ts.source(slow_source("c")))
    task = asyncio.create_task(src.collect())
    await asyncio.sleep(0.02)
    task.cancel()
    await until(lambda: bool(closing))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the suite's leak check then finds no pending relay task
