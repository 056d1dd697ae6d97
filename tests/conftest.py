"""Shared fixtures: every async test ends with no pending task and no suspended async generator (rule 23)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterable

import pytest


def open_async_generators(loop: asyncio.AbstractEventLoop) -> list[object]:
    """Async generators that were started and are neither finished nor closed."""
    gens: Iterable[object] = getattr(loop, "_asyncgens", ())
    # The fixture's own generator is running while it checks: it is not a leak.
    return [
        ag
        for ag in list(gens)
        if getattr(ag, "ag_frame", None) is not None and not getattr(ag, "ag_running", False)
    ]


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[None]:
    yield
    gc.collect()
    me = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    assert not pending, f"tasks still pending after the test: {pending}"
    leaked = open_async_generators(asyncio.get_running_loop())
    assert not leaked, f"async generators left open after the test: {leaked}"
