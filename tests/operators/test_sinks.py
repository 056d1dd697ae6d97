"""The sinks (``first``, ``count``, ``fold``, ``for_each``, and ``run()``): what they return, and that ``first()``
stops the run."""

from __future__ import annotations

import asyncio

import pytest

import typedstream as ts

from tests.support.operators import acounting


async def test_first_on_an_empty_stream_raises_empty_stream_error() -> None:
    with pytest.raises(ts.EmptyStreamError) as info:
        await ts.source(list[int]()).into(ts.first())
    assert isinstance(info.value, ValueError)
    assert issubclass(ts.EmptyStreamError, ValueError)
    with pytest.raises(ValueError):
        await ts.source(list[int]()).filter(lambda x: x > 0).into(ts.first())


async def test_first_returns_the_first_and_stops_the_run() -> None:
    events: list[str] = []
    assert await ts.source(acounting([], events=events)).map(lambda x: x + 7).into(ts.first()) == 7
    assert events == ["closed"]


async def test_other_sinks() -> None:
    assert await ts.source(range(5)).into(ts.count()) == 5
    assert await ts.source(range(5)).into(ts.fold(10, lambda a, x: a + x)) == 20
    assert await ts.source(list[int]()).into(ts.fold("init", lambda a, x: a + str(x))) == "init"
    seen: list[int] = []

    async def record(x: int) -> None:
        await asyncio.sleep(0)
        seen.append(x)

    await ts.source(range(3)).into(ts.for_each(record))
    await ts.source(range(3, 5)).into(ts.for_each(seen.append))
    assert seen == [0, 1, 2, 3, 4]
    report = await ts.source(range(7)).filter(lambda x: x % 2 == 0).run()
    assert report.items == 4 and report.wall_time >= 0.0
