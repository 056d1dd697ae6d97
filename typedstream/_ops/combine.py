"""Combining chains: ``merge`` (interleave as elements arrive), ``concat`` (one after another) and ``zip`` (one
element of each, stopping with the shortest). The engine compiles the other chains as the puller's inputs."""

from __future__ import annotations

import asyncio
import builtins
from collections import deque
from typing import Any

from .._engine import Chain, Chunks, Op, Relay, Shape, StageContext, cancel_and_wait

__all__ = ["concat", "merge", "zip"]

_zip = builtins.zip


def merge(others: tuple[Chain, ...]) -> Op:
    return Op(name="merge", kind="merge", shape=Shape.RESHAPING, pull=_merge, sources=others)


async def _merge(inputs: list[Chunks], st: StageContext) -> Chunks:
    """Interleave chunks as they arrive; one pump task per input, each at most one chunk ahead."""
    arrived = asyncio.Event()  # every relay signals the same event
    relays = [Relay(chunks, None, arrived) for chunks in inputs]
    for r in relays:
        r.start()
    live = list(relays)
    try:
        while live:
            progressed = False
            for r in list(live):
                if r.queue:
                    chunk = await r.get()
                    assert chunk is not None
                    progressed = True
                    yield chunk
                elif r.finished:
                    live.remove(r)
                    if r.error is not None:
                        raise r.error
            if not progressed and live:
                arrived.clear()
                if not any(r.queue or r.finished for r in live):
                    await arrived.wait()
    finally:  # all at once: a second cancellation while one stops must not leave the others running
        await cancel_and_wait([r.task for r in relays if r.task is not None])


def concat(others: tuple[Chain, ...]) -> Op:
    return Op(name="concat", kind="concat", shape=Shape.RESHAPING, pull=_concat, sources=others)


async def _concat(inputs: list[Chunks], st: StageContext) -> Chunks:
    for chunks in inputs:
        async for chunk in chunks:
            yield chunk


def zip(others: tuple[Chain, ...]) -> Op:
    return Op(name="zip", kind="zip", shape=Shape.RESHAPING, pull=_zip_chunks, sources=others)


async def _zip_chunks(inputs: list[Chunks], st: StageContext) -> Chunks:
    buffers: list[deque[Any]] = [deque() for _ in inputs]
    while True:
        for chunks, buf in _zip(inputs, buffers):
            if not buf:
                chunk = await anext(chunks, None)
                if chunk is None:
                    return  # the shortest input ends the zip
                buf.extend(chunk)
        n = min(len(b) for b in buffers)
        yield list(_zip(*([b.popleft() for _ in range(n)] for b in buffers)))
