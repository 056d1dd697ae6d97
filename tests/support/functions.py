"""Small user functions that several test files run as stages. A stage is named after its function, so the
names the tests read in reports and notes (``inc``, ``inc#2``, ``even``, ``nap``, ``parse``) are these functions'
names."""

from __future__ import annotations

import asyncio


def inc(x: int) -> int:
    return x + 1


def even(x: int) -> bool:
    return x % 2 == 0


async def nap(x: int) -> int:
    await asyncio.sleep(0.05)
    return x


def parse(s: str) -> int:
    return int(s)
