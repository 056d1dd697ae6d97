"""Quick start: parse lines into records, filter, enrich concurrently, batch, collect; every stage type-checked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import assert_type

import typedstream as ts


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    customer: str
    cents: int
    eur: float = 0.0


def parse(line: str) -> Order:
    id_, customer, cents = line.split(",")
    return Order(int(id_), customer, int(cents))


async def to_eur(order: Order) -> Order:
    await asyncio.sleep(0.01)  # stands in for a call to an FX-rate service
    return replace(order, eur=order.cents * 0.0092)


async def main() -> None:
    lines = ["1,ada,1250", "2,bob,0", "3,cy,9900", "4,ada,450", "5,dee,7000"]
    pipeline = (
        ts.source(lines)
        | ts.map(parse)  # str -> Order
        | ts.filter(lambda o: o.cents > 0, of=Order)  # a lambda needs of=T in the | form
        | ts.map(to_eur, concurrency=8)  # async: up to 8 calls at once, input order kept
        | ts.batch(2)  # Order -> list[Order]
    )
    assert_type(pipeline, ts.Source[list[Order]])  # checked by mypy and pyright
    batches = await pipeline.collect()  # nothing runs until here
    for batch in batches:
        print(", ".join(f"#{o.id} {o.customer} {o.eur:.2f} EUR" for o in batch))


if __name__ == "__main__":
    asyncio.run(main())
