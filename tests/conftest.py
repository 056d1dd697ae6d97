"""The suite's one fixture: every async test ends with no pending task and no suspended async generator (rule 23)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest

from tests.support.leaks import open_async_generators


@pytest.fixture(autouse=True)
async def no_leaks() -> AsyncIterator[None]:
    yield
    gc.collect()
    me = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    assert not pending, f"tasks still pending after the test: {pending}"
    leaked = open_async_generators(asyncio.get_running_loop())
    assert not leaked, f"async generators left open after the test: {leaked}"
