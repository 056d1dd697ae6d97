"""Rule 6: An error closes everything. When stage *k* fails, every generator of the run (the user's included) is
closed before the consumer sees the error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

import typedstream as ts

from tests.support.errors import Boom
from tests.support.sources import acounting, counting


async def test_rule06_error_closes_every_generator_before_collect_returns() -> None:
    events: list[str] = []

    def sync_source() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            events.append("sync source")

    async def async_source() -> AsyncIterator[int]:
        try:
            for i in range(1000, 2000):
                await asyncio.sleep(0.0005)
                yield i
        finally:
            events.append("async source")

    async def inner(x: int) -> AsyncIterator[int]:
        try:
            yield x
            if x == 1:
                await asyncio.sleep(10)  # left suspended mid-iteration when the run fails
            yield x
        finally:
            events.append(f"inner {x}")

    def fail_at_6(x: int) -> int:
        if x == 6:
            raise Boom(x)
        return x

    for run in ("collect", "run"):
        events.clear()
        src = (  # generator objects are single-use: a fresh pipeline per run
            ts.source(sync_source())
            .merge(ts.source(async_source()))
            .flat_map(inner, concurrency=3, ordered=False)
            .map(fail_at_6)
        )
        with pytest.raises(Boom):
            if run == "collect":
                await src.collect()
            else:
                await src.run()
        assert {"sync source", "async source", "inner 1"} <= set(events), (run, events)
        snapshot = list(events)
        await asyncio.sleep(0.01)
        assert events == snapshot, "a finalizer ran after the run returned"


async def test_rule06_error_in_an_async_stage_closes_user_generators() -> None:
    events: list[str] = []

    async def fail_at_2(x: int) -> int:
        if x == 2:
            raise Boom(x)
        return x

    src = ts.source(acounting([], events=events)).buffer(2).map(fail_at_2)
    with pytest.raises(Boom):
        await src.run()
    assert events == ["source"]

    events.clear()
    src2 = ts.source(counting([], events=events)).map(fail_at_2, concurrency=2)
    with pytest.raises(Boom):
        await src2.collect()
    assert events == ["source"]


async def test_rule06_error_in_a_source_closes_the_other_generators() -> None:
    events: list[str] = []

    async def bad() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(0.005)
        raise Boom("source failed")

    src = ts.merge(ts.source(bad()), ts.source(acounting([], events=events, delay=0.001)))
    with pytest.raises(Boom):
        await src.collect()
    assert events == ["source"]

    events.clear()
    zipped = ts.zip(ts.source(counting([], events=events)), ts.source(bad()))
    with pytest.raises(Boom):
        await zipped.collect()
    assert events == ["source"]
