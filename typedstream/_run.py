"""Driving a Source: element iteration, sinks and drains, each inside one Run scope."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar

from ._op import Chunks
from ._report import RunReport, StageMetrics
from ._runtime import Run, Stage, compile_source
from ._sink import Sink
from ._sinks import count
from ._source import Source

__all__ = ["drain", "drive", "iterate"]

R = TypeVar("R")
T = TypeVar("T")


async def _scoped(src: Source[Any], body: Callable[[Chunks], Awaitable[R]], run: Run | None = None) -> R:
    run = run or Run()
    try:
        result = await body(compile_source(src, run))
    except BaseException as e:
        try:
            await run.aclose(cancelled=isinstance(e, asyncio.CancelledError))
        except asyncio.CancelledError:
            raise  # cancellation while cleaning up is never turned into the run's error
        except BaseException as close_error:  # the run's own error wins; the other is kept as a note
            if close_error is not e:
                e.add_note(f"typedstream: closing the run also failed: {close_error!r}")
        raise
    await run.aclose()
    return result


async def iterate(src: Source[T]) -> AsyncGenerator[T]:
    run = Run()
    cancelled = False
    try:
        async for chunk in compile_source(src, run):
            for x in chunk:
                yield x
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        await run.aclose(cancelled=cancelled)


async def drive(src: Source[T], sink: Sink[T, R]) -> R:
    return await _scoped(src, sink.consume)


def metrics(st: Stage) -> StageMetrics:
    return StageMetrics(
        name=st.name,
        kind=st.op.kind,
        items_in=st.items_in,
        items_out=st.items_out,
        skipped=st.skipped,
        failed=st.failed,
        retried=st.retried,
    )


async def drain(src: Source[Any]) -> RunReport:
    started = time.perf_counter()
    run = Run()
    items = await _scoped(src, count().consume, run)
    return RunReport(
        items=items, wall_time=time.perf_counter() - started, stages=tuple(metrics(st) for st in run.stages)
    )
