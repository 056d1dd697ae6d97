"""Rule 13: At most ``concurrency`` in flight. A stage with ``concurrency=n`` never runs more than n calls at once."""

from __future__ import annotations

import pytest

import typedstream as ts

from tests.support.calls import InFlight


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("n", [1, 2, 5])
async def test_rule13_concurrency_bounds_calls_in_flight(n: int, ordered: bool) -> None:
    probe = InFlight()

    async def f(x: int) -> int:
        return await probe.call(x, 0.001 * (x % 3))

    got = await ts.source(range(40)).map(f, concurrency=n, ordered=ordered).collect()
    assert sorted(got) == list(range(40))
    assert probe.peak == n


async def test_rule13_concurrency_bounds_every_element_operator() -> None:
    probe = InFlight()

    async def pred(x: int) -> bool:
        return bool(await probe.call(x, 0.001) % 2)

    async def fm(x: int) -> list[int]:
        return [await probe.call(x, 0.001)]

    async def t(x: int) -> None:
        await probe.call(x, 0.001)

    for src in (
        ts.source(range(30)).filter(pred, concurrency=3),
        ts.source(range(30)).flat_map(fm, concurrency=3),
        ts.source(range(30)).tap(t, concurrency=3),
    ):
        probe.peak = 0
        await src.collect()
        assert probe.peak == 3
