"""W8: calling a service that answers 429 with ``Retry-After``, through a shared rate limit.

The issue-15 fetcher: ``n`` URLs from a local aiohttp server (its own thread and loop, 20 ms per response), 10 %
of them answered 429 with ``Retry-After: 1`` on their first request, fetched with ``concurrency=50`` through
``RateLimit(400)`` and ``Retry(3, delay_from=retry_after)``. The server's 429s are about one URL each, so the
limiter is built with ``pause_on_retry_after=False`` (a shared pause would stop every call about every ten
calls; see docs/calling-services.md). The ideal is set by the limiter and the server: every request (retries
included) at 400 a second, or the last refused URL's first call plus its ``Retry-After``, whichever is later, plus
one response time. Target: within 1.15x of it. The server's log is checked: no
URL came back before its ``Retry-After`` and no second held more than 400 requests (and a few of slack: arrival
times move with the network).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Generator
from contextlib import contextmanager

from aiohttp import ClientSession, TCPConnector, web

import typedstream as ts

from harness import Contender, Section, measure

RATE = 400.0
LATENCY = 0.02
RETRY_AFTER = 1.0


class Server:
    """429 with Retry-After on the first request of every tenth URL; 200 after ``LATENCY`` otherwise."""

    def __init__(self) -> None:
        self.log: list[tuple[int, float, int]] = []
        self.allowed: dict[int, float] = {}
        self.seen: set[int] = set()
        self.early = 0

    async def handle(self, request: web.Request) -> web.Response:
        n = int(request.match_info["id"])
        now = time.monotonic()  # the thread's loop and the client's loop share this clock
        if (at := self.allowed.get(n)) is not None and now < at:
            self.early += 1
        status = 429 if n % 10 == 3 and n not in self.seen else 200
        self.seen.add(n)
        self.log.append((n, now, status))
        if status == 429:
            self.allowed[n] = now + RETRY_AFTER
            return web.Response(status=429, headers={"Retry-After": f"{RETRY_AFTER:g}"})
        await asyncio.sleep(LATENCY)
        return web.json_response({"id": n})

    def reset(self) -> None:
        self.log.clear()
        self.allowed.clear()
        self.seen.clear()
        self.early = 0


@contextmanager
def serving(server: Server) -> Generator[str]:
    """The server on its own thread and event loop, for the duration of the block; its base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/items/{id}", server.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        box["port"] = runner.addresses[0][1]
        return runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        box["runner"] = loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="w8-server", daemon=True)
    thread.start()
    ready.wait()
    try:
        yield f"http://127.0.0.1:{box['port']}"
    finally:
        runner = box["runner"]
        assert isinstance(runner, web.AppRunner)
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


class TooMany(Exception):
    def __init__(self, after: float) -> None:
        super().__init__(f"429, retry after {after:g} s")
        self.after = after


def retry_after(e: Exception) -> float | None:
    return e.after if isinstance(e, TooMany) else None


def w8(n: int) -> Section:
    server = Server()
    with serving(server) as base:

        async def fetch_all() -> int:
            server.reset()
            async with ClientSession(connector=TCPConnector(limit=100)) as session:

                async def fetch(i: int) -> int:
                    async with session.get(f"{base}/items/{i}") as response:
                        if response.status == 429:
                            raise TooMany(float(response.headers["Retry-After"]))
                        body: dict[str, int] = await response.json()
                        return body["id"]

                limit = ts.RateLimit(RATE, pause_on_retry_after=False)
                retry = ts.Retry(3, delay_from=retry_after, retry_on=(TooMany,))
                src = ts.source(range(n)).map(fetch, concurrency=50, rate_limit=limit, retry=retry)
                return await src.into(ts.count())

        rows = measure([Contender.coro("typedstream  map x50, RateLimit(400), Retry", fetch_all, reference=True)],
                       1, check=lambda r: r == n)
    requests = len(server.log)
    # No schedule beats every request at the limiter's rate, nor the last refused URL's Retry-After (its first call
    # cannot come before the calls of the URLs ahead of it): the ideal is the larger, plus one response.
    last_refused = max(i for i in range(n) if i % 10 == 3)
    ideal = max(requests / RATE, last_refused / RATE + RETRY_AFTER) + LATENCY
    ratio = rows[0].best / ideal
    times = sorted(t for _, t, _ in server.log)
    most = max(sum(1 for u in times[i : i + int(RATE) + 50] if u < t + 1.0) for i, t in enumerate(times))
    title = (
        f"W8  {n:,} URLs, 10 % answered 429 with Retry-After: 1, concurrency 50, RateLimit(400)   (1 round)"
    )
    sec = Section("W8", title, rows)
    sec.lines.append(
        f"{requests:,} requests (retries included); ideal {ideal:.2f} s (max(requests / 400, last 429 + 1 s) + 20 ms); "
        f"most requests the server saw in one second: {most}; early retries: {server.early}"
    )
    sec.data.update({"ratio_to_ideal": ratio, "requests": requests, "most_per_second": most, "early": server.early})
    sec.verdicts.append((f"wall time {ratio:.3f}x the ideal set by the limiter and the server (target <= 1.15x)", ratio <= 1.15))
    sec.verdicts.append((f"no retry sooner than its Retry-After ({server.early} early)", server.early == 0))
    sec.verdicts.append((f"at most 400 requests (+5 of slack) in any second: {most}", most <= RATE + 5))
    return sec
