"""Rule 22: Each stage reports once. Every run's report holds each stage once, also when the run failed, was
cancelled or was left early."""

from __future__ import annotations

import asyncio

import pytest

import typedstream as ts

from tests.support.errors import Boom
from tests.support.functions import even, inc, nap


async def test_rule22_each_stage_reports_once_on_a_completed_run() -> None:
    reports: list[ts.RunReport] = []
    src = ts.source(range(20)).map(inc).filter(even).map(inc).batch(3).flatten()
    out = await src.collect(on_report=reports.append)
    [report] = reports
    assert report.outcome == "completed" and report.error is None
    assert [s.name for s in report.stages] == ["source", "inc", "even", "inc#2", "batch", "flatten"]
    assert report.items == len(out) == 10


async def test_rule22_each_stage_reports_once_on_a_failed_run() -> None:
    def boom(x: int) -> int:
        if x == 7:
            raise Boom(x)
        return x

    reports: list[ts.RunReport] = []
    src = ts.source(range(20)).map(nap, concurrency=2).map(boom).merge(ts.source(range(3)))
    with pytest.raises(Boom):
        await src.into(ts.count(), on_report=reports.append)
    [report] = reports
    assert report.outcome == "failed" and report.error == "Boom: 7"
    names = [s.name for s in report.stages]
    assert names == ["source", "nap", "boom", "merge", "source#2"]
    assert report.stage("boom").failed == 1


async def test_rule22_each_stage_reports_once_on_a_cancelled_run() -> None:
    reports: list[ts.RunReport] = []
    started = asyncio.Event()

    async def stuck(x: int) -> int:
        started.set()
        await asyncio.sleep(10)
        return x

    task = asyncio.create_task(ts.source(range(5)).map(stuck).collect(on_report=reports.append))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [report] = reports
    assert report.outcome == "cancelled" and report.error is None
    assert [s.name for s in report.stages] == ["source", "stuck"]
    assert report.stage("stuck").items_in == 0  # the cancelled call never finished


async def test_rule22_async_for_reports_once_also_after_a_break() -> None:
    reports: list[ts.RunReport] = []
    async with ts.source(range(100)).map(inc).stream(on_report=reports.append) as it:
        async for x in it:
            if x == 3:
                break
        assert reports == []  # the run is still open inside the block
    [report] = reports
    assert report.outcome == "completed"
    assert report.stage("inc").items_out >= 3
