"""W5: the cost of the batch Pipeline facade.

``n`` ints through three sync steps (``start``, ``add``, ``double``, each building a frozen record, each with
``retry=Retry(3, Backoff.none())``): the batch for loop the facade replaces (a try/except and a retry loop per
step; the reference), ``await pipeline.run(x)`` per input (one engine run each) and ``pipeline.stream(inputs)``
collected. Reported only (no target): it shows what a one-element run costs per input and why many inputs should
go through ``stream()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import typedstream as ts

from harness import Contender, Section, measure, show_count


@dataclass(frozen=True, slots=True)
class Acc:
    """A W5 state record."""

    x: int
    total: int = 0


def start(x: int) -> Acc:
    return Acc(x)


def add(a: Acc) -> Acc:
    return Acc(a.x, a.total + a.x)


def double(a: Acc) -> Acc:
    return Acc(a.x, a.total * 2)


def _contenders(n: int) -> list[Contender]:
    steps = (start, add, double)
    retry = ts.Retry(3, ts.Backoff.none())
    pipeline = ts.Pipeline("w5", int).step("start", start, retry=retry).step("add", add, retry=retry).step(
        "double", double, retry=retry
    )

    def batch_loop() -> int:
        total = 0
        for x in range(n):
            state: object = x
            for step in steps:
                for attempt in range(3):
                    try:
                        state = step(state)  # type: ignore[arg-type]
                        break
                    except Exception:
                        if attempt == 2:
                            raise
            total += cast(Acc, state).total
        return total

    async def run_each() -> int:
        total = 0
        for x in range(n):
            total += (await pipeline.run(x)).state.total
        return total

    async def streamed() -> int:
        return sum(r.unwrap().total for r in await pipeline.stream(range(n)).collect())

    return [
        Contender.sync("batch for loop (try/except + retry per step)", batch_loop),
        Contender.coro("Pipeline.run(x) per input", run_each),
        Contender.coro("Pipeline.stream(inputs)", streamed),
    ]


def w5(n: int, rounds: int) -> Section:
    """The cost of the batch Pipeline facade: three sync steps over ``n`` inputs, run one input at a time as the
    batch loop did, and streamed; against the batch for loop with a try/except and retry per step."""
    expected = sum(2 * x for x in range(n))
    rows = measure(_contenders(n), rounds, check=lambda r: r == expected, show=show_count)
    rows[0].reference = True
    title = f"W5  batch Pipeline facade: {n:,} inputs through 3 sync steps with retry=   (best of {rounds})"
    sec = Section("W5", title, rows)
    per = {r.name: r.best / n * 1e6 for r in rows}
    sec.lines.append("  per input: " + ", ".join(f"{name.split(' (')[0]} {us:.1f} us" for name, us in per.items()))
    stream_us, run_us = rows[2].best / n * 1e6, rows[1].best / n * 1e6
    sec.verdicts.append((f"Pipeline.stream per input: {stream_us:.1f} us; run(x): {run_us:.0f} us", None))
    return sec
