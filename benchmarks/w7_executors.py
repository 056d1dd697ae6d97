"""W7: a CPU-bound stage on more cores, ``executor=``.

``n`` lines through ``source | map(parse) | map(heavy) | batch(100)``, ``heavy`` being 2 ms of pure-Python CPU per
element, on this machine's cores: in the loop, on ``typedstream.ProcessPool(2)``, on a Dask
``LocalCluster(2 worker processes)``, against a hand-written ``ProcessPoolExecutor(2).map(..., chunksize=200)``.
Targets: process pool >= 1.7x the in-loop throughput and >= 0.9x the hand-written pool; Dask >= 1.5x the in-loop
throughput; the parent process spends <= 50 us of CPU per element on dispatch.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import importlib
import time
from typing import Any

import typedstream as ts

from _w7_work import heavy, parse
from harness import Contender, Section, measure


def w7(n: int, rounds: int) -> Section:
    distributed: Any = importlib.import_module("distributed")  # untyped constructors: used as Any

    lines = [f"{i},x" for i in range(n)]
    expected = (n + 99) // 100

    def batches(src: ts.Source[int]) -> ts.Source[list[int]]:
        return src | ts.batch(100)

    with (
        ts.ProcessPool(2) as pool,
        cf.ProcessPoolExecutor(2) as hand,
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):

        async def in_loop() -> int:
            return len(await batches(ts.source(lines) | ts.map(parse) | ts.map(heavy)).collect())

        async def on_pool() -> int:
            return len(await batches(ts.source(lines) | ts.map(parse) | ts.map(heavy, executor=pool)).collect())

        async def on_dask() -> int:
            return len(await batches(ts.source(lines) | ts.map(parse) | ts.map(heavy, executor=client)).collect())

        def hand_written() -> int:
            out = list(hand.map(heavy, map(parse, lines), chunksize=200))
            return len([out[i : i + 100] for i in range(0, len(out), 100)])

        contenders = [
            Contender.coro("typedstream  map(heavy) in the loop", in_loop, reference=True),
            Contender.coro("typedstream  map(heavy, executor=ProcessPool(2))", on_pool),
            Contender.coro("typedstream  map(heavy, executor=Client(LocalCluster(2)))", on_dask),
            Contender.sync("hand-written ProcessPoolExecutor(2).map(chunksize=200)", hand_written),
        ]
        rows = measure(contenders, rounds, check=lambda r: r == expected, show=lambda r: f"{r} batches")

    # The parent's CPU, once the Dask scheduler and client (which run in this process) are gone.
    with ts.ProcessPool(2) as pool:
        asyncio.run(on_pool())  # workers started and warm
        cpu = time.process_time()
        asyncio.run(on_pool())
        per_element = (time.process_time() - cpu) / n

    sec = Section(
        "W7",
        f"W7  {n:,} elements x 2 ms of pure-Python CPU, source | parse | heavy | batch(100), 2 cores   (best of {rounds})",
        rows,
    )
    base, pool_t, dask_t, hand_t = (r.best for r in rows)
    for r in rows:
        r.note = r.note or f"{base / r.best:.2f}x in-loop throughput"
    sec.lines.append(f"parent CPU per element with ProcessPool(2): {per_element * 1e6:.1f} us (all of its threads)")
    sec.data.update(
        pool_speedup=base / pool_t, dask_speedup=base / dask_t, pool_vs_hand=hand_t / pool_t, parent_cpu_us=per_element * 1e6
    )
    sec.verdicts += [
        (f"process pool >= 1.7x in-loop: {base / pool_t:.2f}x", base / pool_t >= 1.7),
        (f"process pool >= 0.9x hand-written: {hand_t / pool_t:.2f}x", hand_t / pool_t >= 0.9),
        (f"Dask >= 1.5x in-loop: {base / dask_t:.2f}x", base / dask_t >= 1.5),
        (f"parent CPU <= 50 us per element: {per_element * 1e6:.1f} us", per_element <= 50e-6),
    ]
    return sec
