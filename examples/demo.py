"""The main job (`make demo`): a small typed pipeline over generated order events.

It parses raw lines into immutable records, drops malformed ones, enriches each order through a simulated async
service (latency, concurrency 16), batches the results and prints a summary. Later issues grow it into the full
demo (retry, dead letters, SQLite, progress, per-stage report).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from typing_extensions import TypeIs

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


def parse(line: str) -> Order | None:
    parts = line.split(",")
    if len(parts) != 3:
        return None
    return Order(int(parts[0]), parts[1], int(parts[2]))


def is_order(o: Order | None) -> TypeIs[Order]:
    return o is not None


async def price(order: Order) -> PricedOrder:
    """A stand-in for a remote FX service: 1-3 ms of latency per call."""
    await asyncio.sleep(0.001 + (order.id % 3) / 1000)
    return PricedOrder(order, fx_rate=0.92)


async def main() -> None:
    lines = generate_lines(5_000)
    pipeline = (
        ts.source(lines)
        | ts.map(parse)
        | ts.filter(is_order)  # a TypeIs predicate narrows Order | None to Order
        | ts.map(price, concurrency=16)
        | ts.batch(500)
    )
    started = time.perf_counter()
    total_eur = 0.0
    orders = 0
    async for chunk in pipeline:
        orders += len(chunk)
        total_eur += sum(p.amount_eur for p in chunk)
    elapsed = time.perf_counter() - started
    print(f"read {len(lines)} lines, priced {orders} orders ({len(lines) - orders} malformed dropped)")
    print(f"total {total_eur:,.2f} EUR in {elapsed:.2f} s ({orders / elapsed:,.0f} orders/s)")


if __name__ == "__main__":
    asyncio.run(main())
