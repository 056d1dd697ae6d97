"""The demo's domain: generated order events, their records, a simulated FX service, a SQLite store, and the
same processing written twice: as a stream (`orders_stream`) and as a batch `Pipeline` (`orders_pipeline`).

Everything is deterministic under a seed, including which calls to the FX service fail: a call fails by a hash of
(order, attempt), so the results do not depend on how calls interleave under concurrency.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

import typedstream as ts

CURRENCIES = {"EUR": Decimal("1"), "USD": Decimal("0.92"), "GBP": Decimal("1.17"), "JPY": Decimal("0.0061")}
CUSTOMERS = ("ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal")
SKUS = tuple(f"SKU-{i:03d}" for i in range(40))


# ------------------------------------------------------------------------------------------- the data set


@dataclass(frozen=True, slots=True)
class DataSet:
    path: Path
    events: int
    malformed: frozenset[int]
    """Line numbers (1-based) the generator corrupted on purpose: the ground truth for tests."""


def generate(path: Path, events: int, *, seed: int = 2026, malformed_share: float = 0.04) -> DataSet:
    """Write ``events`` order events as JSON lines, a ``malformed_share`` of them corrupted in one of several
    ways. Same arguments, same file: re-running it is safe."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    malformed: set[int] = set()
    lines: list[str] = []
    for number in range(1, events + 1):
        event: dict[str, Any] = {
            "order_id": number,
            "customer": rng.choice(CUSTOMERS),
            "currency": rng.choice(tuple(CURRENCIES)),
            "placed_at": (start + timedelta(seconds=number * 7)).isoformat(),
            "lines": [
                {"sku": rng.choice(SKUS), "qty": rng.randint(1, 5), "unit_price": f"{rng.randint(100, 20_000) / 100:.2f}"}
                for _ in range(rng.randint(1, 4))
            ],
        }
        if rng.random() < malformed_share:
            malformed.add(number)
            lines.append(_corrupt(event, rng))
        else:
            lines.append(json.dumps(event))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return DataSet(path, events, frozenset(malformed))


def _corrupt(event: dict[str, Any], rng: random.Random) -> str:
    how = rng.randrange(5)
    if how == 0:
        return json.dumps(event)[: rng.randint(5, 40)]  # truncated JSON
    if how == 1:
        del event["customer"]
    elif how == 2:
        event["currency"] = "XXX"
    elif how == 3:
        event["lines"][0]["qty"] = -1
    else:
        event["lines"][0]["unit_price"] = "twelve"
    return json.dumps(event)


# ------------------------------------------------------------------------------------------------ records


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    qty: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Order:
    order_id: int
    customer: str
    currency: str
    placed_at: datetime
    lines: tuple[Line, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.unit_price * line.qty for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class PricedOrder:
    order: Order
    rate: Decimal
    total_eur: Decimal


class InvalidOrder(ValueError):
    pass


def parse(text: str) -> Order:
    """Parse and validate one event; raises InvalidOrder (a ValueError) naming what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidOrder(f"not JSON: {e.msg}") from None
    if not isinstance(raw, dict):
        raise InvalidOrder("not an object")
    event = cast("dict[str, Any]", raw)
    try:
        currency = str(event["currency"])
        if currency not in CURRENCIES:
            raise InvalidOrder(f"unknown currency {currency!r}")
        lines = tuple(_line(cast("dict[str, Any]", line)) for line in event["lines"])
        if not lines:
            raise InvalidOrder("no lines")
        return Order(
            order_id=int(event["order_id"]),
            customer=str(event["customer"]),
            currency=currency,
            placed_at=datetime.fromisoformat(str(event["placed_at"])),
            lines=lines,
        )
    except KeyError as e:
        raise InvalidOrder(f"missing field {e.args[0]!r}") from None


def _line(raw: dict[str, Any]) -> Line:
    qty = int(raw["qty"])
    if qty <= 0:
        raise InvalidOrder(f"quantity must be positive, got {qty}")
    try:
        price = Decimal(str(raw["unit_price"]))
    except InvalidOperation:
        raise InvalidOrder(f"bad unit price {raw['unit_price']!r}") from None
    return Line(str(raw["sku"]), qty, price)


# ------------------------------------------------------------------------------------------- FX service


class FxService:
    """A remote exchange-rate service simulated in-process: ``latency`` seconds per call (scaled by the order),
    and a ``failure_rate`` share of calls failing with a transient ConnectionError, chosen by a hash of
    (order, attempt) so the outcome does not depend on timing."""

    def __init__(self, latency: float = 0.004, failure_rate: float = 0.08, seed: int = 7) -> None:
        self.latency = latency
        self.failure_rate = failure_rate
        self.seed = seed
        self.calls = 0
        self._attempts: dict[int, int] = {}

    async def price(self, order: Order) -> PricedOrder:
        self.calls += 1
        attempt = self._attempts[order.order_id] = self._attempts.get(order.order_id, 0) + 1
        await asyncio.sleep(self.latency * (0.5 + (order.order_id % 4) / 4))
        digest = hashlib.blake2b(f"{self.seed}:{order.order_id}:{attempt}".encode(), digest_size=8).digest()
        if int.from_bytes(digest) / 2**64 < self.failure_rate:
            raise ConnectionError(f"fx service unavailable (order {order.order_id}, attempt {attempt})")
        rate = CURRENCIES[order.currency]
        return PricedOrder(order, rate, (order.total * rate).quantize(Decimal("0.01")))


RETRY = ts.Retry(
    6, ts.Backoff.exponential(initial=0.005, factor=2, max=0.1, jitter=0.5), retry_on=(ConnectionError,), seed=1
)


# ---------------------------------------------------------------------------------------------- storage


class Store:
    """Priced orders and dead letters in SQLite. Writes are upserts keyed by order id / line, so a re-run
    replaces rows instead of adding them."""

    def __init__(self, path: Path) -> None:
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)  # used from one worker thread at a time
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS orders (
                order_id INTEGER PRIMARY KEY, customer TEXT NOT NULL, currency TEXT NOT NULL,
                placed_at TEXT NOT NULL, lines INTEGER NOT NULL, total TEXT NOT NULL, total_eur TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS dead_letters (
                line TEXT PRIMARY KEY, stage TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL
            );
            """
        )
        self._lock = asyncio.Lock()

    async def write(self, batch: list[PricedOrder]) -> int:
        """Upsert a batch in one transaction, in a worker thread (the event loop keeps going)."""
        rows = [
            (p.order.order_id, p.order.customer, p.order.currency, p.order.placed_at.isoformat(), len(p.order.lines),
             str(p.order.total), str(p.total_eur))
            for p in batch
        ]
        async with self._lock:
            await asyncio.to_thread(self._upsert_orders, rows)
        return len(rows)

    def _upsert_orders(self, rows: Sequence[tuple[object, ...]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(order_id) DO UPDATE SET "
                "customer=excluded.customer, currency=excluded.currency, placed_at=excluded.placed_at, "
                "lines=excluded.lines, total=excluded.total, total_eur=excluded.total_eur",
                rows,
            )

    async def write_dead_letters(self, letters: list[ts.DeadLetter[str]]) -> None:
        rows = [(d.element, d.stage, f"{type(d.exception).__name__}: {d.exception}", d.attempts) for d in letters]
        async with self._lock:
            await asyncio.to_thread(self._upsert_letters, rows)

    def _upsert_letters(self, rows: Sequence[tuple[object, ...]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT INTO dead_letters VALUES (?, ?, ?, ?) ON CONFLICT(line) DO UPDATE SET "
                "stage=excluded.stage, error=excluded.error, attempts=excluded.attempts",
                rows,
            )

    def count(self, table: str) -> int:
        assert table in ("orders", "dead_letters")
        (n,) = self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        return int(n)

    def totals(self) -> dict[int, str]:
        return {int(i): str(t) for i, t in self.db.execute("SELECT order_id, total_eur FROM orders")}

    def close(self) -> None:
        self.db.close()


def dead_letter_sink(store: Store, letters: list[ts.DeadLetter[str]]) -> ts.Sink[ts.DeadLetter[str], None]:
    """Keeps every dead letter in ``letters`` and writes them to the store in chunks."""

    async def consume(chunks: AsyncIterator[list[ts.DeadLetter[str]]]) -> None:
        async for chunk in chunks:
            letters.extend(chunk)
            await store.write_dead_letters(chunk)

    return ts.Sink(consume, name="dead_letters")


# ------------------------------------------------------------------------------------------- the pipelines


def orders_stream(
    lines: ts.Source[str], fx: FxService, store: Store, dead: ts.Sink[ts.DeadLetter[str], object]
) -> ts.Source[int]:
    """Parse (malformed -> dead letters), price through the FX service (32 at once, retried with backoff),
    batch by 500 and upsert each batch; yields the rows written per batch."""
    return (
        lines
        | ts.map(parse, on_error="skip", dead_letter=dead)
        | ts.map(fx.price, concurrency=32, retry=RETRY, name="price")
        | ts.batch(500)
        | ts.map(store.write, name="write")
    )


def orders_pipeline(fx: FxService) -> ts.Pipeline[str, PricedOrder]:
    """The same processing as the classic batch pipeline: named steps over one event at a time."""
    return ts.Pipeline("orders", str).step("parse", parse).step("price", fx.price, retry=RETRY)


def risk_score(order: tuple[int, str]) -> int:
    """A CPU-heavy score per order (about 0.2 ms of pure-Python arithmetic, as a model's feature code would
    be): the kind of stage that needs more cores, not more concurrency. Module-level, so worker processes can
    import it."""
    order_id, total = order
    h = order_id
    for c in total * 300:
        h = (h * 131 + ord(c)) % 1_000_000_007
    return h % 100


class Lines:
    """A file's lines, read lazily and reopened by each run (a Source may run more than once)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[str]:
        with self.path.open() as f:
            for line in f:
                yield line.rstrip("\n")
