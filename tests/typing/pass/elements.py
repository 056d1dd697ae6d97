"""Shared element types and typed functions for the pass files: a frozen, slotted `Row` record and friends."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

from typing_extensions import TypeIs


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    name: str
    score: float = 0.0


def parse(line: str) -> Row:
    id_, name = line.split(",")
    return Row(int(id_), name)


def parse_or_none(line: str) -> Row | None:
    parts = line.split(",")
    return Row(int(parts[0]), parts[1]) if len(parts) == 2 else None


def is_row(r: Row | None) -> TypeIs[Row]:
    return r is not None


def rescore(r: Row) -> Row:
    return dataclasses.replace(r, score=r.score + 1.0)


async def enrich(r: Row) -> Row:
    await asyncio.sleep(0)
    return dataclasses.replace(r, score=len(r.name) * 1.5)


def row_key(r: Row) -> str:
    return r.name


def double(x: int) -> int:
    return x * 2


def show(x: int) -> str:
    return str(x)


def length(s: str) -> int:
    return len(s)


async def slow_show(x: int) -> str:
    await asyncio.sleep(0)
    return str(x)


def total(xs: list[int]) -> int:
    return sum(xs)


def is_even(x: int) -> bool:
    return x % 2 == 0


def digits(x: int) -> list[int]:
    return [int(d) for d in str(x)]


async def digits_later(x: int) -> list[int]:
    await asyncio.sleep(0)
    return [int(d) for d in str(x)]


async def repeat(x: int) -> AsyncIterator[str]:
    for _ in range(x):
        yield str(x)


async def numbers() -> AsyncIterator[int]:
    for i in range(3):
        yield i
