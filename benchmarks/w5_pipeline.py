"""W5: the cost of the batch Pipeline facade.

``n`` ints through three sync steps (``start``, ``add``, ``double``, each building a frozen record, each with
``retry=Retry(3, Backoff.none())``): the batch for loop the facade replaces (a try/except and a retry loop per
step; the reference), ``await pipeline.run(x)`` per input (one engine run each) and ``pipeline.stream(inputs)``
collected; with ``--baseline REV``, the two facade rows again on typedstream at that git revision, in the same
process. Reported only (no target): it shows what a one-element run costs per input and why many inputs should go
through ``stream()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

import typedstream as ts

from harness import BaselineError, Contender, Section, load_baseline, measure, show_count


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


def _facade(n: int, package: ModuleType, label: str = "") -> list[Contender]:
    """``run(x)`` per input and ``stream(inputs)`` on ``package`` (typedstream, or a baseline copy of it)."""
    retry: Any = package.Retry(3, package.Backoff.none())
    pipeline: Any = package.Pipeline("w5", int).step("start", start, retry=retry).step("add", add, retry=retry)
    pipeline = pipeline.step("double", double, retry=retry)

    async def run_each() -> int:
        total = 0
        for x in range(n):
            total += cast(Acc, (await pipeline.run(x)).state).total
        return total

    async def streamed() -> int:
        return sum(cast(Acc, r.unwrap()).total for r in await pipeline.stream(range(n)).collect())

    return [
        Contender.coro(f"Pipeline.run(x) per input{label}", run_each),
        Contender.coro(f"Pipeline.stream(inputs){label}", streamed),
    ]


def _contenders(n: int) -> list[Contender]:
    steps = (start, add, double)

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

    return [Contender.sync("batch for loop (try/except + retry per step)", batch_loop), *_facade(n, ts)]


def w5(n: int, rounds: int, baseline_rev: str | None = None) -> Section:
    """The cost of the batch Pipeline facade: three sync steps over ``n`` inputs, run one input at a time as the
    batch loop did, and streamed; against the batch for loop with a try/except and retry per step."""
    expected = sum(2 * x for x in range(n))
    contenders = _contenders(n)
    skipped = ""
    if baseline_rev is not None:
        try:
            contenders += _facade(n, load_baseline(baseline_rev), f"  at {baseline_rev}")
        except BaselineError as e:
            skipped = f"typedstream at {baseline_rev} not loaded, its rows skipped: {e}"
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=show_count)
    rows[0].reference = True
    title = f"W5  batch Pipeline facade: {n:,} inputs through 3 sync steps with retry=   (best of {rounds})"
    sec = Section("W5", title, rows)
    if skipped:
        sec.lines.append(skipped)
    per = {r.name: r.best / n * 1e6 for r in rows}
    sec.lines.append("  per input: " + ", ".join(f"{name.split(' (')[0]} {us:.1f} us" for name, us in per.items()))
    stream_us, run_us = rows[2].best / n * 1e6, rows[1].best / n * 1e6
    sec.verdicts.append((f"Pipeline.stream per input: {stream_us:.1f} us; run(x): {run_us:.0f} us", None))
    return sec
