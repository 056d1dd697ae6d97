"""Run reports, run options, progress and graphs: every documented usage with its exact type."""

from __future__ import annotations

import json
from typing import assert_type

from .elements import Row, parse, show

import typedstream as ts
import typedstream.otel


async def report_fields() -> None:
    report = await (ts.source(["1,a"]) | ts.map(parse)).run()
    assert_type(report.outcome, ts.Outcome)
    assert_type(report.error, str | None)
    assert_type(report.started_at, float)
    assert_type(report.items_in, int)
    assert_type(report.filtered, int)
    stage = report.stage("parse")
    assert_type(stage, ts.StageMetrics)
    assert_type(stage.name, str)
    assert_type(stage.busy, float)
    assert_type(stage.wait_upstream, float)
    assert_type(stage.wait_downstream, float)
    assert_type(stage.concurrency, int)
    assert_type(stage.latency, ts.Latency | None)
    assert_type(stage.filtered, int)
    assert_type(stage.to_dict(), ts.StageMetricsDict)
    assert_type(stage.to_dict()["busy"], float)
    if stage.latency is not None:
        assert_type(stage.latency.p95, float)
        assert_type(stage.latency.count, int)
        assert_type(stage.latency.mean, float)
        assert_type(stage.latency.max, float)
    assert_type(report.table(), str)
    assert_type(report.table(plain=True), str)


async def report_as_dict() -> None:
    report = await ts.source(range(3)).run()
    d = report.to_dict()
    assert_type(d, ts.RunReportDict)
    assert_type(d["outcome"], ts.Outcome)
    assert_type(d["stages"], list[ts.StageMetricsDict])
    assert_type(d["stages"][0]["latency"], ts.LatencyDict | None)
    assert_type(json.dumps(d), str)


async def run_options() -> None:
    reports: list[ts.RunReport] = []
    src = ts.source(["1,a"]) | ts.map(parse)
    assert_type(await src.collect(on_report=reports.append), list[Row])
    assert_type(await src.into(ts.count(), on_report=reports.append, progress=False), int)
    assert_type(await src.run(on_progress=lambda r: print(r.items), interval=0.5), ts.RunReport)
    async with src.stream(on_report=reports.append) as it:
        async for row in it:
            assert_type(row, Row)
    options: ts.RunOptions = {"interval": 2.0, "on_report": reports.append}
    assert_type(await src.run(**options), ts.RunReport)


def opentelemetry() -> None:
    # docs/otel.md
    assert_type(typedstream.otel.instrument(), None)
    assert_type(typedstream.otel.is_instrumented(), bool)
    assert_type(typedstream.otel.uninstrument(), None)


def graphs() -> None:
    src = ts.source(range(3)) | ts.map(show)
    assert_type(ts.graph(src), str)
    assert_type(ts.graph(ts.map(show), "dot"), str)
