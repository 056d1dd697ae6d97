"""Rule 11: Upstream never handles a downstream error. A stage's retry, skip or ``try_map`` sees only its own
function's exceptions; an error from a later stage, an earlier stage or the source passes through it untouched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import typedstream as ts

from tests.support.errors import Boom


@pytest.mark.parametrize("between", ["", "buffer", "async", "pool"])
async def test_rule11_an_upstream_strategy_never_handles_a_downstream_error(between: str) -> None:
    upstream_calls: list[int] = []
    dead: list[ts.DeadLetter[int]] = []

    def up(x: int) -> int:
        upstream_calls.append(x)
        return x

    def down(x: int) -> int:
        if x == 2:
            raise Boom(x)
        return x

    async def ident(x: int) -> int:
        return x

    src = ts.source(range(5)).map(
        up, retry=ts.Retry(3, ts.Backoff.none()), on_error="skip", dead_letter=ts.for_each(dead.append)
    )
    if between == "buffer":
        src = src.buffer(2)
    elif between == "async":
        src = src.map(ident)
    elif between == "pool":
        src = src.map(ident, concurrency=2)
    with pytest.raises(Boom) as info:
        await src.map(down, name="down").collect()
    assert "typedstream: stage 'down' failed on element 2" in info.value.__notes__
    assert dead == []
    assert upstream_calls.count(2) == 1, "the upstream stage retried an element for a downstream failure"


async def test_rule11_an_upstream_try_map_never_catches_a_downstream_error() -> None:
    def down(r: Any) -> Any:
        raise Boom("downstream")

    with pytest.raises(Boom):
        await ts.source([1]).try_map(lambda x: x, catch=Exception).map(down).collect()


async def test_rule11_a_failing_source_is_not_retried_or_skipped_by_the_stage_after_it() -> None:
    def broken() -> Iterator[int]:
        yield 0
        raise Boom("source")

    got: list[int] = []
    with pytest.raises(Boom):
        async for x in ts.source(broken()).map(lambda x: x, retry=ts.Retry(3, ts.Backoff.none()), on_error="skip"):
            got.append(x)
    assert got == [0]
