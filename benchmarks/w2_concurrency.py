"""W2 and W2b: concurrency of an ordered ``map(f, concurrency=...)`` over a coroutine that sleeps.

W2, efficiency: ``n`` calls of ``await asyncio.sleep(0.01)`` at concurrency 50, ordered; efficiency = ideal time
(n x 0.01 / 50) / measured, against typedstream unordered, a hand-written pool of 50 workers on a Queue,
aiostream and streamable. Target: typedstream efficiency >= 0.88.

W2b, head-of-line blocking: ``n`` calls at concurrency 8, ordered, the first sleeping 1 s and the rest 10 ms;
ideal 1.0 s, typedstream's reorder window (32 x concurrency) should keep it near 1.18 s for 400 calls, against
aiostream and streamable. Target: typedstream total <= 1.30 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import typedstream as ts

from harness import Contender, Section, aio_async, measure, version

# The coroutine function a workload maps: ``async def f(x: int) -> int`` (a coroutine, not any awaitable, so
# that streamable's ``map`` takes the async overload).
_F = Callable[[int], Coroutine[Any, Any, int]]


def _show_list(r: object) -> str:
    if isinstance(r, list):
        return f"{len(r):,} items"  # pyright: ignore[reportUnknownArgumentType]
    return repr(r)


async def _hand_pool(f: _F, n: int, conc: int) -> list[int]:
    """``conc`` tasks pulling from an ``asyncio.Queue``: no ordering, no bounds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for x in range(n):
        queue.put_nowait(x)
    out: list[int] = []

    async def worker() -> None:
        while True:
            try:
                x = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            out.append(await f(x))

    async with asyncio.TaskGroup() as tg:
        for _ in range(conc):
            tg.create_task(worker())
    return sorted(out)


def _peers(f: _F, n: int, conc: int) -> list[Contender]:
    """aiostream and streamable's ordered concurrent maps."""
    import aiostream
    import streamable

    async def aiostream_ordered() -> list[int]:
        xs = aiostream.stream.iterate(range(n)) | aiostream.pipe.map(aio_async(f), task_limit=conc)
        out: list[int] = []
        async with xs.stream() as it:
            out = [x async for x in it]
        return out

    async def streamable_ordered() -> list[int]:
        return [x async for x in streamable.stream(range(n)).map(f, concurrency=conc)]

    return [
        Contender.coro(f"aiostream {version('aiostream')}  map(task_limit={conc})", aiostream_ordered),
        Contender.coro(f"streamable {version('streamable')}  map(concurrency={conc})", streamable_ordered),
    ]


def w2(n: int, rounds: int) -> Section:
    delay, conc = 0.01, 50
    ideal = n * delay / conc
    expected = list(range(n))

    async def f(x: int) -> int:
        await asyncio.sleep(delay)
        return x

    async def typedstream_ordered() -> list[int]:
        return await (ts.source(range(n)) | ts.map(f, concurrency=conc)).collect()

    async def typedstream_unordered() -> list[int]:
        return sorted(await (ts.source(range(n)) | ts.map(f, concurrency=conc, ordered=False)).collect())

    async def hand_pool() -> list[int]:
        return await _hand_pool(f, n, conc)

    contenders = [
        Contender.coro(f"typedstream  map(f, concurrency={conc})", typedstream_ordered),
        Contender.coro("typedstream  ... ordered=False", typedstream_unordered),
        Contender.coro(f"hand-written {conc} workers + Queue (unordered)", hand_pool, reference=True),
        *_peers(f, n, conc),
    ]
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=_show_list)
    sec = Section(
        "W2",
        f"W2  {n:,} calls of `await asyncio.sleep({delay})`, concurrency {conc}, ordered unless noted   "
        f"(best of {rounds}; ideal {ideal:.3f} s; efficiency = ideal / time)",
        rows,
    )
    for r in rows:
        r.note = r.note or f"efficiency {ideal / r.best:.3f}"
    eff = ideal / rows[0].best
    sec.data["typedstream_efficiency"] = eff
    sec.data["hand_pool_efficiency"] = ideal / rows[2].best
    sec.verdicts.append((f"typedstream efficiency >= 0.88: {eff:.3f}", eff >= 0.88))
    return sec


def w2b(n: int, rounds: int) -> Section:
    slow, fast, conc = 1.0, 0.01, 8
    expected = list(range(n))
    ideal = max(slow, (n - 1) * fast / conc)  # the head is the critical path; the rest fit beside it

    async def f(x: int) -> int:
        await asyncio.sleep(slow if x == 0 else fast)
        return x

    async def typedstream_ordered() -> list[int]:
        return await (ts.source(range(n)) | ts.map(f, concurrency=conc)).collect()

    contenders = [Contender.coro(f"typedstream  map(f, concurrency={conc})", typedstream_ordered), *_peers(f, n, conc)]
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=_show_list)
    sec = Section(
        "W2b",
        f"W2b head-of-line: {n} calls, the first sleeps {slow} s and the rest {fast * 1000:.0f} ms, concurrency "
        f"{conc}, ordered   (best of {rounds}; ideal {ideal:.2f} s)",
        rows,
    )
    t = rows[0].best
    window = 32 * conc  # typedstream's default reorder window
    model = slow + max(0, n - window) * fast / conc
    sec.lines.append(
        f"model for typedstream's default window (32 x concurrency = {window}): the free slots fill the window "
        f"behind the head within {slow} s, the other {max(0, n - window)} calls follow: ~{model:.2f} s"
    )
    sec.data["typedstream_seconds"] = t
    sec.verdicts.append((f"typedstream total <= 1.30 s: {t:.3f} s", t <= 1.30))
    return sec
