"""Rule 5: One outcome. A run ends in exactly one way: its elements, or one exception. When several calls fail at
once, the first failure is raised and the others are named in a note on it; a failure while closing is a note too; a
cancellation is never replaced by another error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import typedstream as ts

from tests.support.errors import Boom


@pytest.mark.parametrize("ordered", [True, False])
async def test_rule05_concurrent_failures_give_one_outcome_the_first_error(ordered: bool) -> None:
    """Several calls fail at once: the run raises the first failure itself (never an ExceptionGroup); the others
    are named in a note on it, and nothing is delivered afterwards."""
    release = asyncio.Event()

    async def f(x: int) -> int:
        if x < 3:
            await release.wait()
            raise Boom(f"boom {x}")
        release.set()
        await asyncio.sleep(0)
        return x

    got: list[int] = []
    with pytest.raises(Boom) as info:
        async with ts.source(range(4)).map(f, concurrency=4, ordered=ordered).stream() as it:
            async for x in it:
                got.append(x)
    assert not isinstance(info.value, BaseExceptionGroup)
    assert str(info.value) == "boom 0"
    notes = "\n".join(info.value.__notes__)
    assert "typedstream: stage 'f' failed on element 0" in notes
    assert "2 other call(s) of stage 'f' also failed: Boom: boom 1, Boom: boom 2" in notes
    assert got == [] if ordered else got in ([], [3])


async def test_rule05_a_run_has_one_outcome_even_when_closing_fails_too() -> None:
    async def bad_close() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            raise RuntimeError("close failed")

    def fail(x: int) -> int:
        raise Boom(x)

    with pytest.raises(Boom) as info:
        await ts.source(bad_close()).map(fail).collect()
    assert any("closing the run also failed" in n for n in info.value.__notes__)


async def test_rule05_a_dead_letter_sink_failure_and_a_stage_failure_give_one_outcome() -> None:
    def sink_fails(letter: ts.DeadLetter[int]) -> None:
        raise RuntimeError("sink down")

    def f(x: int) -> int:
        if x == 0:
            raise ValueError("skipped")
        raise Boom("fatal")

    src = ts.source([0, 1]).map(f, on_error="skip", dead_letter=ts.for_each(sink_fails)).map(lambda x: x)
    with pytest.raises((Boom, RuntimeError)) as info:
        await src.collect()
    assert not isinstance(info.value, BaseExceptionGroup)
