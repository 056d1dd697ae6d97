"""The batch Pipeline with a TypedDict state per step: each step returns ``{**state, "field": value}``."""

from __future__ import annotations

from typing import assert_type

from typing_extensions import ReadOnly, TypedDict

import typedstream as ts


class Raw(TypedDict):
    line: ReadOnly[str]


class Parsed(Raw):
    order_id: ReadOnly[int]


class Priced(Parsed):
    total: ReadOnly[float]


def parse(s: Raw) -> Parsed:
    return {**s, "order_id": int(s["line"])}  # pyrefly: ignore[bad-unpacking]


def price(s: Parsed) -> Priced:
    return {**s, "total": s["order_id"] * 1.5}  # pyrefly: ignore[bad-unpacking]


async def typed_state() -> None:
    p = ts.Pipeline("orders", Raw).step("parse", parse).step("price", price)
    assert_type(p, ts.Pipeline[Raw, Priced])
    result = await p.run({"line": "7"})
    assert_type(result, ts.PipelineResult[Priced])
    assert_type(result.outcome.unwrap()["total"], float)
