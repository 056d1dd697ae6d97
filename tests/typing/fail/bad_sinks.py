"""Sinks of the wrong element type and wrong result types."""

from __future__ import annotations

import asyncio

import typedstream as ts


def shout(s: str) -> None:
    print(s.upper())


async def save(s: str) -> None:
    await asyncio.sleep(0)


def join(acc: str, x: str) -> str:
    return acc + x


def add(acc: int, x: int) -> int:
    return acc + x


async def wrong_sinks() -> None:
    ints = ts.source(range(3))
    strs = ts.source(["a", "b"])
    _a = await ints.into(ts.for_each(shout))  # E: for_each over str on int elements
    _b = await ints.into(ts.for_each(save))  # E: async for_each over str on int elements
    _c = await ints.into(ts.fold("", join))  # E: fold over str on int elements
    _d = await strs.into(ts.fold(0, add))  # E: fold over int on str elements
    _e = await ints.into(ts.fold(0, lambda acc, x: acc + x.upper()))  # E: int has no upper (not pyrefly: it reports the lambda's parameter as unknown instead)
    _f = await ints.into(ts.for_each(lambda s: s.upper()))  # E: int has no upper
    _g = ts.for_each(shout, of=int)  # E: shout takes str
    _h = ts.fold("", add)  # E: init str, f over int
    _i = await ints.into(print)  # E: not a Sink
    _j = await ints.into(ts.to_list)  # E: to_list must be called


async def wrong_results() -> None:
    ints = ts.source(range(3))
    _a: str = await ints.into(ts.first())  # E: first gives int
    _b: list[str] = await ints.into(ts.to_list())  # E: to_list gives list[int]
    _c: int = await ints.into(ts.for_each(print))  # E: for_each gives None
    _d: str = await ints.into(ts.fold(0, add))  # E: fold gives int
    _e: ts.Sink[int, str] = ts.count()  # E: count gives int
