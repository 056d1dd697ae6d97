"""Rule 9: Finalizers once, downstream first. Every generator's finalizer runs exactly once, in reverse order of
opening, on success, error and cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import typedstream as ts

from tests.support.errors import Boom
from tests.support.sources import acounting, counting


async def test_rule09_finalizers_run_once_on_success() -> None:
    events: list[str] = []

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
        finally:
            events.append(f"inner {x}")

    sync_events: list[str] = []
    src = ts.source(acounting([], 3, events=events)).flat_map(inner).zip(
        ts.source(counting([], 5, events=sync_events))
    )
    assert await src.collect() == [(0, 0), (1, 1), (2, 2)]
    assert events == ["inner 0", "inner 1", "inner 2", "source"]
    assert sync_events == ["source"]


async def test_rule09_finalizers_run_once_in_reverse_order_on_error() -> None:
    events: list[str] = []

    async def f(x: int) -> int:
        try:
            if x == 0:
                await asyncio.sleep(10)
            return x
        finally:
            events.append(f"call {x}")

    def fail(x: int) -> int:
        if x == 3:
            raise Boom(x)
        return x

    src = ts.source(counting([], events=events)).map(f, concurrency=2, ordered=False).map(fail)
    with pytest.raises(Boom):
        await src.collect()
    assert events.count("source") == 1 and events.count("call 0") == 1
    # The downstream finalizer (the in-flight call) runs before the upstream one (the source generator).
    assert events.index("call 0") < events.index("source")


async def test_rule09_finalizers_run_once_downstream_first_on_cancellation() -> None:
    events: list[str] = []
    started = asyncio.Event()

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
            started.set()
            await asyncio.sleep(10)
            yield x
        finally:
            events.append("inner")

    src = ts.source(acounting([], events=events)).flat_map(inner)
    task = asyncio.create_task(src.collect())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events == ["inner", "source"]


async def test_rule09_finalizers_run_once_downstream_first_on_take() -> None:
    events: list[str] = []

    async def f(x: int) -> int:
        try:
            await asyncio.sleep(10 if x >= 3 else 0)
            return x
        finally:
            events.append("call")

    src = ts.source(counting([], events=events)).map(f, concurrency=2, ordered=False).take(3)
    assert sorted(await src.collect()) == [0, 1, 2]
    assert events.count("source") == 1
    assert events[-1] == "source", events  # every call finished or was cancelled before the source closed
