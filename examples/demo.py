"""The main job (`make demo`): a small typed pipeline over generated order events.

It parses raw lines into immutable records (malformed lines are skipped into dead letters), enriches each order
through a simulated async service with latency and transient failures (concurrency 16, retry with exponential
backoff), batches the results and prints a summary with the per-stage counts. Issue 5 grows it into the full demo
(SQLite, progress, the batch Pipeline compared).
"""

from __future__ import annotations

import asyncio
import random
import sys
from dataclasses import dataclass

import typedstream as ts


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    customer: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class PricedOrder:
    order: Order
    fx_rate: float

    @property
    def amount_eur(self) -> float:
        return self.order.amount_cents * self.fx_rate / 100


def generate_lines(n: int, seed: int = 7) -> list[str]:
    """Deterministic order events, about 5% of them malformed."""
    rng = random.Random(seed)
    lines: list[str] = []
    for i in range(n):
        if rng.random() < 0.05:
            lines.append(f"{i};broken")
        else:
            lines.append(f"{i},{rng.choice(['ada', 'bob', 'cy', 'dee'])},{rng.randint(100, 99_999)}")
    return lines


def parse(line: str) -> Order:
    """Raises ValueError on a malformed line; the stage skips it and sends it to the dead letters."""
    id_, customer, cents = line.split(",")
    return Order(int(id_), customer, int(cents))


class FxService:
    """A stand-in for a remote FX service: 1-3 ms of latency per call, and a seeded 10% of calls fail with a
    transient ConnectionError."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.calls = 0

    async def price(self, order: Order) -> PricedOrder:
        self.calls += 1
        await asyncio.sleep(0.001 + (order.id % 3) / 1000)
        if self.rng.random() < 0.10:
            raise ConnectionError(f"fx service unavailable for order {order.id}")
        return PricedOrder(order, fx_rate=0.92)


RETRY = ts.Retry(5, ts.Backoff.exponential(initial=0.002, factor=2, max=0.05, jitter=0.5), retry_on=(ConnectionError,))


def build(lines: list[str], fx: FxService, dead: ts.Sink[ts.DeadLetter[str], object]) -> ts.Source[list[PricedOrder]]:
    return (
        ts.source(lines)
        | ts.map(parse, on_error="skip", dead_letter=dead)  # malformed -> dead letters
        | ts.map(fx.price, concurrency=16, retry=RETRY, name="price")  # transient failures are retried
        | ts.batch(500)
    )


def pipeline() -> ts.Source[list[PricedOrder]]:
    """The demo pipeline over 5,000 generated lines, for ``typedstream run|graph examples/demo.py:pipeline``."""
    return build(generate_lines(5_000), FxService(), ts.for_each(lambda letter: None))


async def main() -> None:
    lines = generate_lines(5_000)
    fx = FxService()
    dead: list[ts.DeadLetter[str]] = []
    totals = {"orders": 0, "eur": 0.0}

    def add_up(batch: list[PricedOrder]) -> None:
        totals["orders"] += len(batch)
        totals["eur"] += sum(p.amount_eur for p in batch)

    report = await build(lines, fx, ts.for_each(dead.append)).tap(add_up).run(progress=sys.stderr.isatty())
    print(f"read {len(lines)} lines, priced {totals['orders']} orders, {len(dead)} malformed lines dead-lettered")
    if dead:
        first = dead[0]
        print(f"  e.g. {first.element!r} in stage {first.stage!r}: {type(first.exception).__name__}: {first.exception}")
    print(f"total {totals['eur']:,.2f} EUR in {report.wall_time:.2f} s ({totals['orders'] / report.wall_time:,.0f} orders/s)")
    print(report.table())


if __name__ == "__main__":
    asyncio.run(main())
