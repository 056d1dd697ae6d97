"""Rule 10: Closing twice is a no-op. Closing a closed run, iterator or stream block changes nothing."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Any

import pytest

import typedstream as ts
from typedstream._engine import Run
from typedstream._engine.compile import compile_chain
from typedstream._faces import chain_of

from tests.support.calls import inc
from tests.support.sources import acounting, counting


async def test_rule10_closing_twice_is_a_no_op() -> None:
    events: list[str] = []
    async with ts.source(acounting([], events=events)).buffer(2).stream() as it:
        assert await anext(it) == 0
        assert isinstance(it, AsyncGenerator)
        await it.aclose()
        await it.aclose()
        assert events == ["source"]
    assert events == ["source"]


@pytest.mark.parametrize("stage", ["map", "buffer", "merge", "batch_within", "pool"])
async def test_rule10_a_closed_iterator_stays_exhausted(stage: str) -> None:
    """After the stream() block (or an explicit aclose), pulling again ends the iteration; it does not fail."""
    base = ts.source(acounting([]))
    builders: dict[str, Callable[[], ts.Source[Any]]] = {
        "map": lambda: base.map(inc),
        "buffer": lambda: base.buffer(2),
        "merge": lambda: base.merge(ts.source(range(3))),
        "batch_within": lambda: base.batch_within(2, 0.01),
        "pool": lambda: base.map(inc, concurrency=2),
    }
    src = builders[stage]()
    async with src.stream() as it:
        async for _ in it:
            break
    assert await anext(it, "end") == "end"
    with pytest.raises(StopAsyncIteration):
        await anext(it)
    assert isinstance(it, AsyncGenerator)
    await it.aclose()


async def test_rule10_run_aclose_twice_is_a_no_op() -> None:
    events: list[str] = []
    run = Run()
    chunks = compile_chain(chain_of(ts.source(acounting([], events=events)).map(lambda x: x).buffer(2)), run, run.output)
    assert await anext(chunks) == [0]
    await run.aclose()
    assert events == ["source"]
    await run.aclose()
    assert events == ["source"]


async def test_rule10_break_then_context_exit_closes_once() -> None:
    events: list[str] = []
    src = ts.source(counting([], events=events)).map(lambda x: x)
    async with src.stream() as it:
        async for _ in it:
            break
        assert isinstance(it, AsyncGenerator)
        await it.aclose()
    assert events == ["source"]
