"""Ending what a run started: cancel tasks and wait for them, close iterators, so nothing outlives its run."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["aclose_iterator", "cancel_and_wait", "close_iterator"]


async def cancel_and_wait(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has finished.

    If the caller is cancelled meanwhile, the tasks are still awaited to the end, then the caller's
    cancellation is raised: it is never swallowed, and no task outlives the caller's cleanup.
    """
    for t in tasks:
        t.cancel()
    interrupted: asyncio.CancelledError | None = None
    while not all(t.done() for t in tasks):
        try:
            # asyncio.wait never raises the tasks' own outcomes (a generator that awaited a failed future
            # stays marked as running on 3.11).
            await asyncio.wait([t for t in tasks if not t.done()])
        except asyncio.CancelledError as e:
            interrupted = e
            for t in tasks:
                t.cancel()
    for t in tasks:
        if not t.cancelled():
            t.exception()  # retrieved: a worker's error is reported through the stage, not logged as lost
    if interrupted is not None:
        raise interrupted


def close_iterator(it: object) -> None:
    """Close a sync iterator that can be closed (a generator); others need nothing."""
    close = getattr(it, "close", None)
    if close is not None:
        close()


async def aclose_iterator(it: object) -> None:
    """Close an async iterator that can be closed (an async generator), so the GC never has to."""
    aclose = getattr(it, "aclose", None)
    if aclose is not None:
        await aclose()
