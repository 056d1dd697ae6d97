"""End to end against a real local HTTP service (``examples/calling_services.py``): 429 with ``Retry-After`` when
called too fast, 503, 404, a hanging request; the server's own log is the evidence."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession

import typedstream as ts
from calling_services import Dead, Permanent, Service, pipeline, serve

N = 300


async def test_a_rate_limited_service_is_called_as_it_asks() -> None:
    service = Service(capacity=100, latency=0.005, hang=30.0)
    runner, base = await serve(service)
    dead = Dead()
    reports: list[ts.RunReport] = []
    limit = ts.RateLimit(150)  # above the service's capacity: it will say 429
    try:
        async with ClientSession() as session:
            got = await pipeline(session, base, range(N), limit, dead, timeout=1.0).collect(on_report=reports.append)
    finally:
        await runner.cleanup()

    missing = [n for n in range(N) if n % 50 == 11]  # 404: permanent, so not retried
    assert [p.item.id for p in got] == [n for n in range(N) if n not in missing]
    assert [d.element for d in dead.items] == missing and dead.prices == []
    assert all(isinstance(d.exception, Permanent) and d.attempts == 1 for d in dead.items)
    items_log = [(n, t, status) for path, n, t, status in service.log if path == "items"]

    # 429s came, and no request came back before its Retry-After had passed (the service checks each one)
    refused = [entry for entry in service.log if entry[3] == 429]
    assert refused, "the client's limit is above the service's: some calls must be refused"
    assert service.early == []
    # 503s were retried; the hanging requests timed out and were retried
    for n in range(7, N, 25):
        assert [status for m, _, status in items_log if m == n and status != 429] == [503, 200]
    stage = reports[0].stages[1]
    assert stage.timed_out == len(range(42, N, 100)) and stage.name == "fetch_item"
    assert stage.rate_wait > 0 and stage.retry_wait > 0
    # both stages shared the limit: the service never got more than the limiter's rate in a second (a few
    # requests of slack: the network moves arrival times a little)
    times = sorted(t for _, _, t, _ in service.log)
    most = max(sum(1 for u in times[i:] if u < t + 1.0) for i, t in enumerate(times))
    assert most <= 150 + 5
    assert limit.calls == len(service.log)
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
