"""Operators about time and demand: pullers that are async boundaries of their own (buffer, batch_within,
timeout, throttle), built on the engine's relay."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from .._engine import Chunks, Expired, Op, Relay, Shape, StageContext, annotate, before, relayed
from .._ratelimit import RateLimit
from .._validate import check_count, check_seconds, where

__all__ = ["batch_within", "buffer", "throttle", "timeout"]


def buffer(n: int) -> Op:
    check_count(where("buffer"), "n", n, minimum=1)
    return Op(name="buffer", kind="buffer", shape=Shape.PASS_THROUGH, pull=functools.partial(_buffer, n))


def _buffer(n: int, inputs: list[Chunks], st: StageContext) -> Chunks:
    return relayed(inputs[0], limit=n)


def batch_within(n: int, seconds: float) -> Op:
    check_count(where("batch_within"), "n", n, minimum=1)
    secs = check_seconds(where("batch_within"), "seconds", seconds)
    return Op(
        name="batch_within", kind="batch_within", shape=Shape.RESHAPING, pull=functools.partial(_batch_within, n, secs)
    )


async def _batch_within(n: int, seconds: float, inputs: list[Chunks], st: StageContext) -> Chunks:
    loop = asyncio.get_running_loop()
    r = Relay(inputs[0], None)
    current: list[Any] = []
    deadline = 0.0
    try:
        while True:
            chunk = await (before(deadline, r.get()) if current else r.get())
            if isinstance(chunk, Expired):  # the batch's time is up (never with an empty batch)
                out = [current]
                current = []
                yield out
                continue
            if chunk is None:
                if current:
                    yield [current]
                return
            full: list[list[Any]] = []
            for x in chunk:
                if not current:
                    deadline = loop.time() + seconds
                current.append(x)
                if len(current) >= n:
                    full.append(current)
                    current = []
            if full:
                yield full
    finally:
        await r.stop()


def timeout(seconds: float) -> Op:
    secs = check_seconds(where("timeout"), "seconds", seconds)
    return Op(name="timeout", kind="timeout", shape=Shape.PASS_THROUGH, pull=functools.partial(_timeout, secs))


async def _timeout(seconds: float, inputs: list[Chunks], st: StageContext) -> Chunks:
    loop = asyncio.get_running_loop()
    upstream = inputs[0]
    while True:
        try:
            chunk = await before(loop.time() + seconds, anext(upstream))
        except StopAsyncIteration:
            return
        if isinstance(chunk, Expired):
            raise annotate(TimeoutError(f"stage {st.name!r}: no element within {seconds} s"), st.name, has_element=False)
        yield chunk


def throttle(rate: int, per: float, burst: int | None = None) -> Op:
    at = where("throttle")
    check_count(at, "rate", rate, minimum=1)
    secs = check_seconds(at, "per", per, finite=True)
    if burst is not None:
        check_count(at, "burst", burst, minimum=0)
    return Op(
        name="throttle", kind="throttle", shape=Shape.PASS_THROUGH, pull=functools.partial(_throttle, rate, secs, burst)
    )


async def _throttle(rate: int, per: float, burst: int | None, inputs: list[Chunks], st: StageContext) -> Chunks:
    """Elements spaced ``per / rate`` apart (``burst`` more back to back after a pause): the token bucket of
    ``RateLimit``, one per run, taken per element."""
    bucket = RateLimit(rate, per, burst)
    async for chunk in inputs[0]:
        out: list[Any] = []
        for x in chunk:
            if bucket.would_wait() and out:
                yield out  # what may go now goes now
                out = []
            await bucket.acquire()
            out.append(x)
        if out:
            yield out
