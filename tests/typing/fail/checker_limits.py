"""Where each checker reports a misuse, and what one of them does not check (docs/typing.md, "Limits")."""

from __future__ import annotations

import functools

import typedstream as ts


def inc(x: int) -> int:
    return x + 1


def show(x: int) -> str:
    return str(x)


def scale(k: int, x: int) -> int:
    return x * k


def a_multi_line_pipe_chain() -> None:
    # mypy points at the stage that does not fit; pyright at the start of the chain's expression (here its
    # parenthesis) and pyrefly at its first operand: the left operand of the | that fails starts there.
    _src: object = (  # E: str into inc (not mypy: at the stage) (not pyrefly: at the first operand)
        ts.source(range(3))  # E: str into inc (not mypy: at the stage) (not pyright: at the parenthesis)
        | ts.map(inc)
        | ts.map(show)
        | ts.map(inc)  # E: str into inc (not pyright: at the start) (not pyrefly: at the first operand)
    )


def a_multi_line_method_chain() -> None:
    # the method form is located at the stage by every checker (pyright also reports the call at the start)
    _src: object = (  # E: no map overload takes inc here (not mypy: at the stage) (not pyrefly: at the stage)
        ts.source(range(3))
        .map(inc)
        .map(show)
        .map(inc)  # E: str into inc
    )


def partial_stage_functions() -> None:
    times_two = functools.partial(scale, 2)
    _ok = ts.source([1]) | ts.map(times_two)
    _bad = ts.source(["a"]) | ts.map(times_two)  # E: str into scale's x (not mypy: it does not check a partial)
    _bad2 = ts.source(["a"]).map(times_two)  # E: str into scale's x (not mypy: it does not check a partial)
