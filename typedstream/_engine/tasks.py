"""Ending what a run started: cancel tasks until they end, close iterators, so nothing outlives its run; and
notice a cancellation that user code swallowed, so it is delivered again instead of lost."""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["RECANCEL_EVERY", "aclose_iterator", "cancel_and_wait", "cancelled_again", "close_iterator"]

RECANCEL_EVERY = 0.05
"""Seconds between deliveries of a cancellation to a task that has not ended: user code that catches one
``CancelledError`` and carries on gets another, as in trio's and anyio's cancel scopes. A finalizer that awaits
has this long before the next one arrives."""


async def cancel_and_wait(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has finished, cancelling again every ``RECANCEL_EVERY`` seconds
    those that have not.

    If the caller is cancelled meanwhile, the tasks are still awaited to the end, then the caller's
    cancellation is raised: it is never swallowed, and no task outlives the caller's cleanup.
    """
    pending = {t for t in tasks if not t.done()}
    interrupted: asyncio.CancelledError | None = None
    while pending:
        for t in pending:
            t.cancel()
        try:
            # asyncio.wait never raises the tasks' own outcomes (a generator that awaited a failed future
            # stays marked as running on 3.11).
            _, pending = await asyncio.wait(pending, timeout=RECANCEL_EVERY)
        except asyncio.CancelledError as e:
            interrupted = e
            pending = {t for t in pending if not t.done()}
    for t in tasks:
        if not t.cancelled():
            t.exception()  # retrieved: a worker's error is reported through the stage, not logged as lost
    if interrupted is not None:
        raise interrupted


def cancelled_again(baseline: int = 0) -> asyncio.CancelledError | None:
    """A ``CancelledError`` to raise if the current task was cancelled more times than ``baseline`` and is still
    running: some code caught the cancellation and carried on. The engine calls this where it would go on with
    more work (a boundary, a worker taking its next element), so the cancellation is delivered again there."""
    task = asyncio.current_task()
    if task is not None and task.cancelling() > baseline:
        return asyncio.CancelledError("typedstream: a cancellation that user code caught, delivered again")
    return None


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
