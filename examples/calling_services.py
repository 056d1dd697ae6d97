"""Calling a real HTTP service: retry that listens to ``Retry-After``, one rate limit shared by two stages, a
per-call timeout and dead letters for what could not be fetched.

The service is a local aiohttp server started by this script. It answers like real APIs do: 429 Too Many
Requests with ``Retry-After`` when it is called too fast, 503 now and then (transient), 404 for items that do
not exist (permanent), and once in a while a request that hangs. The client's limit is set above what the
service allows, so the service answers 429 now and then, and its ``Retry-After`` pauses both stages.

Run it with ``python examples/calling_services.py``: it prints the run's report and the dead letters, and checks
from the server's own log that no request came back sooner than the ``Retry-After`` it was given.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import ClientSession, ClientTimeout, web

import typedstream as ts

# -- the service ----------------------------------------------------------------------------------------------


@dataclass
class Service:
    """A local JSON API that, like most, limits how fast it is called: over ``capacity`` requests in the last
    second, it answers 429 with a ``Retry-After`` saying when there will be room. Each id also has a fixed fate,
    so a run is repeatable: id % 25 == 7: the first request gets 503; id % 50 == 11: 404, always; id % 100 == 42:
    the first request hangs."""

    capacity: int = 150
    latency: float = 0.01
    hang: float = 30.0
    log: list[tuple[str, int, float, int]] = field(default_factory=list[tuple[str, int, float, int]])
    """(path, id, time received, status) of every request, in order."""
    told: dict[tuple[str, int], float] = field(default_factory=dict[tuple[str, int], float])
    """When each (path, id) may come back, after a 429."""
    early: list[str] = field(default_factory=list[str])
    """Requests that came back before their Retry-After had passed."""
    accepted: deque[float] = field(default_factory=deque[float])
    """When the requests of the last second that were not refused came."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/items/{id}", self.item)
        app.router.add_get("/prices/{id}", self.price)
        return app

    def _seen(self, path: str, n: int) -> int:
        """Requests for this resource that were not refused."""
        return sum(1 for p, m, _, status in self.log if (p, m) == (path, n) and status != 429)

    def _room_in(self, now: float) -> float:
        """Seconds until the last second holds fewer than ``capacity`` accepted requests (0: there is room)."""
        while self.accepted and self.accepted[0] <= now - 1.0:
            self.accepted.popleft()
        if len(self.accepted) < self.capacity:
            return 0.0
        return self.accepted[0] + 1.0 - now

    async def _answer(self, path: str, n: int, body: dict[str, object]) -> web.Response:
        now = asyncio.get_running_loop().time()
        if (allowed := self.told.pop((path, n), None)) is not None and now < allowed:
            self.early.append(f"{path}/{n} came back {allowed - now:.3f} s before its Retry-After")
        first = self._seen(path, n) == 0
        headers: dict[str, str] = {}
        if wait := self._room_in(now):
            status = 429
            after = math.ceil(wait * 10) / 10  # this service says it in tenths of a second
            headers["Retry-After"] = f"{after:g}"
            self.told[(path, n)] = now + after
        elif n % 25 == 7 and first:
            status = 503
        elif n % 50 == 11:
            status = 404
        else:
            status = 200
        if status != 429:
            self.accepted.append(now)
        self.log.append((path, n, now, status))
        if n % 100 == 42 and first and path == "items":
            await asyncio.sleep(self.hang)
        await asyncio.sleep(self.latency)
        if status != 200:
            return web.Response(status=status, headers=headers)
        return web.json_response(body)

    async def item(self, request: web.Request) -> web.Response:
        n = int(request.match_info["id"])
        return await self._answer("items", n, {"id": n, "name": f"item {n}"})

    async def price(self, request: web.Request) -> web.Response:
        n = int(request.match_info["id"])
        return await self._answer("prices", n, {"id": n, "cents": 100 + n % 900})


# -- the client -----------------------------------------------------------------------------------------------


class Transient(Exception):
    """Worth trying again: 429 (with the server's ``Retry-After``, if it gave one) and 5xx."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}" + (f", retry after {retry_after:g} s" if retry_after is not None else ""))
        self.status = status
        self.retry_after = retry_after


class Permanent(Exception):
    """Not worth trying again: 4xx other than 429."""


@dataclass(frozen=True)
class Item:
    id: int
    name: str


@dataclass(frozen=True)
class Priced:
    item: Item
    cents: int


@dataclass
class Dead:
    """What could not be fetched, per stage: each letter keeps its element, its exception and its attempts."""

    items: list[ts.DeadLetter[int]] = field(default_factory=list[ts.DeadLetter[int]])
    prices: list[ts.DeadLetter[Item]] = field(default_factory=list[ts.DeadLetter[Item]])

    def letters(self) -> list[ts.DeadLetter[int] | ts.DeadLetter[Item]]:
        return [*self.items, *self.prices]


def retry_after(e: Exception) -> float | None:
    """The server's ``Retry-After`` for a 429 (``Retry(delay_from=)``); ``None``: the backoff decides."""
    return e.retry_after if isinstance(e, Transient) else None


async def get_json(session: ClientSession, url: str) -> dict[str, object]:
    async with session.get(url) as response:
        if response.status == 429 or response.status >= 500:
            header = response.headers.get("Retry-After")
            raise Transient(response.status, float(header) if header is not None else None)
        if response.status >= 400:
            raise Permanent(f"HTTP {response.status} for {url}")
        body: dict[str, object] = await response.json()
        return body


def fetchers(session: ClientSession, base: str) -> tuple[Callable[[int], Awaitable[Item]], Callable[[Item], Awaitable[Priced]]]:
    async def fetch_item(n: int) -> Item:
        body = await get_json(session, f"{base}/items/{n}")
        return Item(int(str(body["id"])), str(body["name"]))

    async def fetch_price(item: Item) -> Priced:
        body = await get_json(session, f"{base}/prices/{item.id}")
        return Priced(item, int(str(body["cents"])))

    return fetch_item, fetch_price


def pipeline(
    session: ClientSession,
    base: str,
    ids: range,
    limit: ts.RateLimit,
    dead: Dead,
    *,
    timeout: float = 2.0,
    concurrency: int = 50,
) -> ts.Source[Priced]:
    """Fetch every item, then its price, both through one rate limit; transient errors are retried as the
    server says, permanent ones and what still fails go to ``dead``."""
    fetch_item, fetch_price = fetchers(session, base)
    retry = ts.Retry(
        4,
        ts.Backoff.exponential(0.05, max=1.0),
        retry_on=(Transient, TimeoutError),
        delay_from=retry_after,
        deadline=20.0,
    )
    return (
        ts.source(ids)
        .map(
            ts.awaiting(fetch_item),
            concurrency=concurrency,
            rate_limit=limit,
            timeout=timeout,
            retry=retry,
            on_error="skip",
            dead_letter=ts.for_each(dead.items.append),
            name="fetch_item",
        )
        .map(
            ts.awaiting(fetch_price),
            concurrency=concurrency,
            rate_limit=limit,
            timeout=timeout,
            retry=retry,
            on_error="skip",
            dead_letter=ts.for_each(dead.prices.append),
            name="fetch_price",
        )
    )


async def serve(service: Service) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(service.app(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def main(n: int = 1000, rate: float = 200.0, capacity: int = 150) -> int:
    """``rate``: what the client's limiter allows; ``capacity``: what the service allows (less: so it says 429)."""
    service = Service(capacity)
    runner, base = await serve(service)
    dead = Dead()
    try:
        async with ClientSession(timeout=ClientTimeout(total=None)) as session:
            priced = pipeline(session, base, range(n), ts.RateLimit(rate), dead)
            reports: list[ts.RunReport] = []
            items = await priced.collect(on_report=reports.append)
    finally:
        await runner.cleanup()
    print(reports[0].table(width=140))
    letters = dead.letters()
    print(f"\n{len(items)} items priced; {len(letters)} dead letters:")
    for letter in letters[:5]:
        print(f"  {letter.stage} {letter.element!r}: {type(letter.exception).__name__}: {letter.exception}")
    if len(letters) > 5:
        print(f"  ... and {len(letters) - 5} more")
    print(f"server: {len(service.log)} requests, {sum(1 for *_, s in service.log if s == 429)} answered 429")
    if service.early:
        print("requests sooner than their Retry-After:", *service.early, sep="\n  ")
        return 1
    print("no request came back sooner than its Retry-After")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
