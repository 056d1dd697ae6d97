"""awaiting(f): a function typed as returning an Awaitable becomes an async def, so its stage has R elements."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar, assert_type

import typedstream as ts

P = ParamSpec("P")
R = TypeVar("R")


def cached(f: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """How many cache and retry decorators are typed."""
    return f


@cached
async def fetch(x: int) -> str:
    await asyncio.sleep(0)
    return str(x)


def later(x: int) -> asyncio.Future[float]:
    fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    fut.set_result(x / 2)
    return fut


def awaiting() -> None:
    ints = ts.source(range(3))
    assert_type(ints | ts.map(fetch), ts.Source[Awaitable[str]])  # what the checkers see without it
    assert_type(ints | ts.map(ts.awaiting(fetch)), ts.Source[str])
    assert_type(ints.map(ts.awaiting(fetch)), ts.Source[str])
    assert_type(ints | ts.map(ts.awaiting(later)), ts.Source[float])
