"""The main job (`make demo`): tens of thousands of order events, streamed into SQLite.

    python examples/demo.py [--events 30000] [--data data/orders.jsonl] [--db data/orders.sqlite] [--progress]

1. generates the data set deterministically (a share of the events malformed) unless it is already there;
2. streams it: parse and validate (malformed events go to dead letters, stored too), price each order through a
   simulated FX service with latency and transient failures (concurrency 32, retry with exponential backoff),
   batch by 500 and upsert into SQLite (re-running replaces rows: the writes are idempotent);
3. prints the per-stage report;
4. runs the same events through the batch `Pipeline` (the same parse and price steps) and compares the results
   with what the stream wrote;
5. scores every stored order with a CPU-heavy function on a process pool (`executor=ts.ProcessPool()`), and
   compares its throughput with the same stage in the event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from orders import (
    DataSet,
    FxService,
    Lines,
    PricedOrder,
    Store,
    dead_letter_sink,
    generate,
    orders_pipeline,
    orders_stream,
    risk_score,
)

import typedstream as ts

ROOT = Path(__file__).resolve().parent.parent


def pipeline() -> ts.Source[int]:
    """The demo's stream over 5,000 events, for ``typedstream run|graph examples/demo.py:pipeline``."""
    data = ROOT / "data" / "orders-5000.jsonl"
    if not data.exists():
        generate(data, 5_000)
    store = Store(Path(":memory:"))  # the command shows the batches written; the main job keeps a database
    return orders_stream(ts.source(Lines(data)), FxService(), store, ts.for_each(lambda letter: None))


async def run_demo(data: DataSet, db: Path, *, progress: bool = False, out: TextIO | None = None) -> dict[str, int]:
    """Stream ``data`` into ``db`` and compare with the batch Pipeline; returns the figures it printed."""

    def write(text: str) -> None:
        print(text, file=out or sys.stdout)

    store = Store(db)
    try:
        letters: list[ts.DeadLetter[str]] = []
        fx = FxService()
        started = time.perf_counter()
        reports: list[ts.RunReport] = []
        try:
            written = await orders_stream(ts.source(Lines(data.path)), fx, store, dead_letter_sink(store, letters)).into(
                ts.fold(0, lambda total, n: total + n), on_report=reports.append, progress=progress
            )
        except asyncio.CancelledError:  # Ctrl-C: the run was cancelled, and reported before it ended
            if reports:
                write(reports[0].table())
            raise
        report = reports[0]
        write(f"streamed {data.events:,} events in {time.perf_counter() - started:.2f} s: {written:,} orders written, "
              f"{len(letters):,} malformed events dead-lettered, {report.stage('price').retried:,} FX "
              f"calls retried")
        write(report.table())
        if letters:
            first = letters[0]
            write(f"e.g. dead letter from stage {first.stage!r}: {first.exception}")

        # The same events through the batch Pipeline: its steps are the stream's stages.
        batch_started = time.perf_counter()
        results = await orders_pipeline(FxService()).stream(Lines(data.path), concurrency=32).collect()
        priced = [r.unwrap() for r in results if isinstance(r.value_or(None), PricedOrder)]
        failed_steps = [r.failure().step for r in results if not isinstance(r.value_or(None), PricedOrder)]
        stored = store.totals()
        same = len(priced) == len(stored) and all(stored.get(p.order.order_id) == str(p.total_eur) for p in priced)
        write(f"batch Pipeline: {len(priced):,} priced, {len(failed_steps):,} failed (steps: "
              f"{', '.join(sorted(set(failed_steps))) or '-'}) in {time.perf_counter() - batch_started:.2f} s; "
              f"same totals as the stream: {'yes' if same else 'NO'}")
        scored = await score_orders(list(stored.items()), write)
        return {
            "scored": scored,
            "orders": store.count("orders"),
            "dead_letters": store.count("dead_letters"),
            "written": written,
            "batch_priced": len(priced),
            "batch_failed": len(failed_steps),
            "same": int(same),
        }
    finally:
        store.close()


async def score_orders(orders: list[tuple[int, str]], write: Callable[[str], None]) -> int:
    """A CPU-bound stage on every core: the same map in the loop (on a sample) and on a process pool."""
    sample = orders[:2_000]
    started = time.perf_counter()
    await (ts.source(sample) | ts.map(risk_score)).collect()
    in_loop = len(sample) / (time.perf_counter() - started)
    with ts.ProcessPool() as pool:
        reports: list[ts.RunReport] = []
        scores = await (ts.source(orders) | ts.map(risk_score, executor=pool)).collect(on_report=reports.append)
    s = reports[0].stage("risk_score")
    rate = len(orders) / reports[0].wall_time
    write(f"risk scores: {len(scores):,} orders on {s.executor} in {reports[0].wall_time:.2f} s, {rate:,.0f}/s: "
          f"{rate / in_loop:.1f}x the in-loop rate ({in_loop:,.0f}/s on the first {len(sample):,})")
    return len(scores)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=30_000, help="events to generate (default 30,000)")
    parser.add_argument("--data", type=Path, default=None, help="the JSON-lines data set (default data/orders-N.jsonl)")
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "orders.sqlite", help="the SQLite database")
    parser.add_argument("--progress", action="store_true", default=sys.stderr.isatty(), help="live progress")
    args = parser.parse_args(argv)
    path: Path = args.data or ROOT / "data" / f"orders-{args.events}.jsonl"
    data = generate(path, args.events)  # deterministic: regenerating gives the same file
    print(f"data set {path} ({data.events:,} events, {len(data.malformed):,} malformed); database {args.db}")
    try:
        figures = asyncio.run(run_demo(data, args.db, progress=args.progress))
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130
    return 0 if figures["same"] else 1


if __name__ == "__main__":
    sys.exit(main())
