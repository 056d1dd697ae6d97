"""Rule 23: Nothing is left behind. After every test no task is pending and no async generator is left suspended (an
autouse fixture checks this after each test of the suite).

The autouse ``no_leaks`` fixture (tests/conftest.py) checks rule 23 after every test; these tests check that its
detector sees an open iterator and its pending task, and that a finished run leaves nothing open."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator, AsyncIterator

import pytest
import uvloop

import typedstream as ts

from tests.support.calls import inc
from tests.support.errors import Boom
from tests.support.leaks import open_async_generators
from tests.support.sources import acounting


async def test_rule23_leak_detector_reports_an_open_iterator() -> None:
    loop = asyncio.get_running_loop()
    before = {id(g) for g in open_async_generators(loop)}
    it = aiter(ts.source(range(10)).map(inc).buffer(2))
    assert await anext(it) == 1
    gc.collect()
    leaked = [g for g in open_async_generators(loop) if id(g) not in before]
    assert it in leaked
    me = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not me and not t.done()], "the buffer task is pending"
    assert isinstance(it, AsyncGenerator)
    await it.aclose()
    assert not [g for g in open_async_generators(loop) if id(g) not in before]
    assert not [t for t in asyncio.all_tasks() if t is not me and not t.done()]


async def test_rule23_a_finished_run_leaves_nothing_open() -> None:
    loop = asyncio.get_running_loop()
    before = {id(g) for g in open_async_generators(loop)}
    src = ts.source(acounting([])).map(inc, concurrency=3).buffer(2).batch_within(4, 0.01).take(3)
    assert len(await src.collect()) == 3
    assert not [g for g in open_async_generators(loop) if id(g) not in before]


def _every_third_fails(x: int) -> int:
    if x % 3 == 0:
        raise ValueError(x)
    return x


@pytest.mark.parametrize("sink", ["fails", "stops early", "blocks, then the run is cancelled"])
async def test_rule23_a_dead_letter_sink_s_input_is_closed_before_the_run_returns(sink: str) -> None:
    """Closed by the run, not left to the garbage collector (it was, after a cancel or a sink failure)."""
    loop = asyncio.get_running_loop()
    before = set(map(id, open_async_generators(loop)))

    async def consume(chunks: AsyncIterator[list[ts.DeadLetter[int]]]) -> None:
        async for _ in chunks:
            if sink == "fails":
                raise Boom("sink")
            if sink == "stops early":
                return
            await asyncio.sleep(10)

    src = ts.source(range(20)).map(_every_third_fails, on_error="skip", dead_letter=ts.Sink(consume, name="letters"))
    task = asyncio.create_task(src.collect())
    if sink.startswith("blocks"):
        await asyncio.sleep(0.05)
        task.cancel()
    try:
        await task  # a sink that stops early fails the run only if letters were left for it
    except (Boom, RuntimeError, asyncio.CancelledError):
        pass
    left = [g for g in open_async_generators(loop) if id(g) not in before]  # no gc.collect(): what the run left
    assert not left, left


async def test_rule23_every_engine_rule_runs_on_asyncio_s_loop_and_on_uvloop(request: pytest.FixtureRequest) -> None:
    """tests/engine/conftest.py runs each test of this directory on both loops, and the leak checks see uvloop's
    async generators too (test_rule23_leak_detector_reports_an_open_iterator[uvloop])."""
    on_uvloop = isinstance(asyncio.get_running_loop(), uvloop.Loop)
    assert on_uvloop == request.node.name.endswith("[uvloop]")
