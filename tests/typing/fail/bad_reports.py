"""Misuse of run options, reports and graphs."""

from __future__ import annotations

import typedstream as ts


def wants_int(n: int) -> None: ...


async def bad_options() -> None:
    src = ts.source(range(3))
    _a = await src.run(interval="1s")  # E: interval is a number of seconds
    _b = await src.run(on_report=wants_int)  # E: on_report takes a RunReport
    _c = await src.collect(on_progress=3)  # E: on_progress is a callable
    _d = await src.run(progres=True)  # E: unknown run option
    _e = await src.into(ts.count(), progress="yes")  # E: progress is a bool
    _f: ts.RunOptions = {"intervl": 1.0}  # E: unknown key


async def bad_reports() -> None:
    report = await ts.source(range(3)).run()
    _a: int = report.error  # E: error is str | None
    _b: float = report.stages[0].latency.p50  # E: latency may be None
    _c = report.outcome == "done"  # E: not an outcome (not pyrefly: it does not flag comparisons that can never be equal)
    _d: str = report.to_dict()["items"]  # E: items is an int
    _e = report.to_dict()["nope"]  # E: no such key


def bad_graphs() -> None:
    _a = ts.graph(ts.source(range(3)), "png")  # E: format is mermaid or dot
    _b = ts.graph([1, 2])  # E: not a pipeline
