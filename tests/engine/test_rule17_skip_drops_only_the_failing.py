"""Rule 17: Skip drops only the failing element. ``on_error="skip"`` removes exactly the elements whose calls failed
(after their retries); every other element passes, in order."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import typedstream as ts

from tests.support.errors import Boom


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    xs=st.lists(st.integers(0, 30), max_size=40),
    bad=st.frozensets(st.integers(0, 30)),
    mode=st.sampled_from(["sync", "async", "pool", "pool-unordered"]),
    chunk=st.integers(1, 7),
)
async def test_rule17_skip_drops_only_the_failing_elements(xs: list[int], bad: frozenset[int], mode: str, chunk: int) -> None:
    dead: list[ts.DeadLetter[int]] = []

    def f(x: int) -> int:
        if x in bad:
            raise Boom(x)
        return x * 10

    async def af(x: int) -> int:
        await asyncio.sleep(0)
        return f(x)

    opts: ts.ElementOptions[int] = {
        "on_error": "skip",
        "dead_letter": ts.for_each(dead.append),
        "concurrency": 3 if mode.startswith("pool") else 1,
        "ordered": mode != "pool-unordered",
    }
    src = ts.source(xs, chunk_size=chunk)
    got = await (src.map(f, **opts) if mode == "sync" else src.map(af, **opts)).collect()
    expected = [x * 10 for x in xs if x not in bad]
    if mode == "pool-unordered":
        assert Counter(got) == Counter(expected)
        assert Counter(d.element for d in dead) == Counter(x for x in xs if x in bad)
    else:
        assert got == expected
        assert [d.element for d in dead] == [x for x in xs if x in bad]
