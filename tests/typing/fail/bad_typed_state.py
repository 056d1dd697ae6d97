"""The TypedDict state style: a step out of order, or a step that forgets a key, is rejected."""

from __future__ import annotations

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


def forgets(s: Parsed) -> Priced:
    return {**s}  # E: the total key is missing


def mutates(s: Parsed) -> Parsed:
    s["order_id"] = 3  # E: a ReadOnly item cannot be set
    return s


def bad_order() -> None:
    _a = ts.Pipeline("orders", Raw).step("price", price)  # E: price needs a Parsed state, the state is Raw
