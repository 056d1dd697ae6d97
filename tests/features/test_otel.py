"""The OpenTelemetry export (``typedstream.otel``): one span and the per-stage metrics per run, through the SDK's
in-memory exporter and reader."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Histogram,
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
    Sum,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

import typedstream as ts
import typedstream.otel
from typedstream._engine import report_hooks

from tests.support.errors import Boom

COUNTERS = ("items_in", "items_out", "filtered", "skipped", "failed", "retried", "caught")


@dataclass
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def instrument(self) -> None:
        typedstream.otel.instrument(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def run_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans.get_finished_spans() if s.name == "typedstream.run"]

    def only_span(self) -> ReadableSpan:
        spans = self.run_spans()
        assert len(spans) == 1, spans
        return spans[0]

    def metrics(self) -> tuple[dict[str, list[NumberDataPoint]], dict[str, list[HistogramDataPoint]]]:
        """The points of typedstream's counters and histograms, by instrument name."""
        sums: dict[str, list[NumberDataPoint]] = {}
        histograms: dict[str, list[HistogramDataPoint]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data is not None else ():
            for scope in resource.scope_metrics:
                if scope.scope.name != "typedstream":
                    continue
                for metric in scope.metrics:
                    if isinstance(metric.data, Sum):
                        sums.setdefault(metric.name, []).extend(metric.data.data_points)
                    elif isinstance(metric.data, Histogram):
                        histograms.setdefault(metric.name, []).extend(metric.data.data_points)
        return sums, histograms

    def counter(self, name: str, **attributes: str) -> float:
        """The sum of a counter over the points whose attributes include ``attributes``."""
        sums, _ = self.metrics()
        return sum(
            p.value
            for p in sums.get(name, [])
            if all(p.attributes is not None and p.attributes.get(k) == v for k, v in attributes.items())
        )


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    telemetry = Telemetry(tracer_provider, meter_provider, spans, reader)
    telemetry.instrument()
    try:
        yield telemetry
    finally:
        typedstream.otel.uninstrument()
        tracer_provider.shutdown()
        meter_provider.shutdown()


def explode_at_3(x: int) -> int:
    if x == 3:
        raise Boom("three")
    return x


def pipeline() -> ts.Source[int]:
    """0..9 -> 1..10 -> the even ones: 2, 4, 6, 8, 10."""
    return ts.source(range(10)).map(lambda x: x + 1, name="inc").filter(lambda x: x % 2 == 0, name="even")


# -- the span --------------------------------------------------------------------------------------------------


async def test_completed_run_gives_one_span_with_the_counts(otel: Telemetry) -> None:
    await pipeline().run()
    span = otel.only_span()
    attrs = dict(span.attributes or {})
    expected: dict[str, object] = {
        "typedstream.outcome": "completed",
        "typedstream.items": 5,
        "typedstream.items_in": 10,
        "typedstream.filtered": 5,
        "typedstream.skipped": 0,
        "typedstream.failed": 0,
        "typedstream.retried": 0,
        "typedstream.caught": 0,
        "typedstream.stages": ("source", "inc", "even"),
        "typedstream.stage.source.kind": "source",
        "typedstream.stage.source.items_in": 0,
        "typedstream.stage.source.items_out": 10,
        "typedstream.stage.source.filtered": 0,
        "typedstream.stage.inc.kind": "map",
        "typedstream.stage.inc.items_in": 10,
        "typedstream.stage.inc.items_out": 10,
        "typedstream.stage.inc.filtered": 0,
        "typedstream.stage.even.kind": "filter",
        "typedstream.stage.even.items_in": 10,
        "typedstream.stage.even.items_out": 5,
        "typedstream.stage.even.filtered": 5,
    }
    for stage in ("source", "inc", "even"):
        zero = ("skipped", "failed", "retried", "caught", "timed_out")
        expected.update({f"typedstream.stage.{stage}.{f}": 0 for f in zero})
        expected[f"typedstream.stage.{stage}.concurrency"] = 1
    assert {k: attrs.get(k) for k in expected} == expected
    waits = ("busy", "rate_wait", "retry_wait", "wait_upstream", "wait_downstream")
    times = ["typedstream.wall_time"] + [f"typedstream.stage.{s}.{t}" for s in ("source", "inc", "even") for t in waits]
    for key in times:
        value = attrs[key]
        assert isinstance(value, float) and value >= 0, (key, value)
    assert not [k for k in attrs if ".latency." in k], "sync stages have no per-call latency"
    assert set(attrs) == set(expected) | set(times)
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None


async def test_span_times_are_the_runs(otel: Telemetry) -> None:
    report = await ts.source(range(3)).map(lambda x: asyncio.sleep(0.01, x), name="nap").run()
    span = otel.only_span()
    assert span.start_time is not None and span.end_time is not None
    assert abs(span.start_time - report.started_at * 1e9) <= 1e6
    assert abs(span.end_time - (report.started_at + report.wall_time) * 1e9) <= 1e6
    assert span.end_time - span.start_time >= 29_000_000  # three sequential naps of 10 ms


async def test_latency_attributes_for_a_stage_that_calls_per_element(otel: Telemetry) -> None:
    async def nap(x: int) -> int:
        await asyncio.sleep(0.001)
        return x

    await ts.source(range(4)).map(nap, name="nap").collect()
    attrs = dict(otel.only_span().attributes or {})
    p50, p95, top = (attrs[f"typedstream.stage.nap.latency.{q}"] for q in ("p50", "p95", "max"))
    assert isinstance(p50, float) and isinstance(p95, float) and isinstance(top, float)
    assert 0.0009 <= p50 <= p95 <= top  # each call sleeps 1 ms; percentiles are within 3.1 %
    assert "typedstream.stage.source.latency.p50" not in attrs


async def test_failed_run_gives_an_error_span(otel: Telemetry) -> None:
    with pytest.raises(Boom):
        await ts.source(range(10)).map(explode_at_3, name="explode").run()
    span = otel.only_span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "Boom: three"
    attrs = span.attributes or {}
    assert attrs["typedstream.outcome"] == "failed"
    assert attrs["typedstream.failed"] == 1
    assert attrs["typedstream.stage.explode.failed"] == 1
    assert otel.counter("typedstream.stage.failed", **{"typedstream.stage": "explode"}) == 1
    assert otel.counter("typedstream.runs", **{"typedstream.outcome": "failed"}) == 1


async def test_cancelled_run_gives_a_cancelled_span(otel: Telemetry) -> None:
    started = asyncio.Event()

    async def hang(x: int) -> int:
        started.set()
        await asyncio.Event().wait()
        return x

    task = asyncio.create_task(ts.source(range(3)).map(hang, name="hang").run())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    span = otel.only_span()
    assert span.status.status_code is StatusCode.UNSET
    attrs = span.attributes or {}
    assert attrs["typedstream.outcome"] == "cancelled"
    assert attrs["typedstream.stage.hang.items_out"] == 0
    assert attrs["typedstream.items"] == 0
    assert otel.counter("typedstream.runs", **{"typedstream.outcome": "cancelled"}) == 1


async def test_every_way_of_running_is_exported_once(otel: Telemetry) -> None:
    assert await pipeline().collect() == [2, 4, 6, 8, 10]
    assert await pipeline().into(ts.count()) == 5
    assert [x async for x in pipeline()] == [2, 4, 6, 8, 10]
    async with pipeline().stream() as elements:
        assert [x async for x in elements] == [2, 4, 6, 8, 10]
    spans = otel.run_spans()
    assert [(s.attributes or {}).get("typedstream.items") for s in spans] == [5, 5, 5, 5]
    assert otel.counter("typedstream.runs", **{"typedstream.outcome": "completed"}) == 4


async def test_the_span_is_a_child_of_the_current_span(otel: Telemetry) -> None:
    with otel.tracer_provider.get_tracer("test").start_as_current_span("parent") as parent:
        await pipeline().run()
    span = otel.only_span()
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id


# -- the metrics -----------------------------------------------------------------------------------------------


async def test_counters_sum_to_the_reports_counts(otel: Telemetry) -> None:
    await pipeline().run()
    # per stage (in, out, filtered): source (0, 10, 0), inc (10, 10, 0), even (10, 5, 5)
    per_stage = {"source": (0, 10, 0), "inc": (10, 10, 0), "even": (10, 5, 5)}
    kinds = {"source": "source", "inc": "map", "even": "filter"}
    for stage, (n_in, n_out, n_filtered) in per_stage.items():
        labels = {"typedstream.stage": stage, "typedstream.kind": kinds[stage]}
        assert otel.counter("typedstream.stage.items_in", **labels) == n_in
        assert otel.counter("typedstream.stage.items_out", **labels) == n_out
        assert otel.counter("typedstream.stage.filtered", **labels) == n_filtered
    totals = {"items_in": 20, "items_out": 25, "filtered": 5, "skipped": 0, "failed": 0, "retried": 0, "caught": 0}
    assert {f: otel.counter(f"typedstream.stage.{f}") for f in COUNTERS} == totals
    assert otel.counter("typedstream.runs") == 1
    assert otel.counter("typedstream.runs", **{"typedstream.outcome": "completed"}) == 1


async def test_skipped_and_retried_are_counted(otel: Telemetry) -> None:
    calls: dict[int, int] = {}

    def flaky(x: int) -> int:
        calls[x] = calls.get(x, 0) + 1
        if x == 2 and calls[x] == 1:
            raise Boom("once")  # retried once, then fine
        if x == 5:
            raise Boom("always")  # retried once, then skipped
        return x

    retry = ts.Retry(2, ts.Backoff.constant(0))
    await ts.source(range(8)).map(flaky, name="flaky", on_error="skip", retry=retry).collect()
    labels = {"typedstream.stage": "flaky"}
    assert otel.counter("typedstream.stage.items_in", **labels) == 8
    assert otel.counter("typedstream.stage.items_out", **labels) == 7  # 0..7 but 5
    assert otel.counter("typedstream.stage.skipped", **labels) == 1
    assert otel.counter("typedstream.stage.retried", **labels) == 2
    assert otel.counter("typedstream.stage.filtered", **labels) == 0


async def test_histograms_get_one_point_per_stage_and_run(otel: Telemetry) -> None:
    report = await pipeline().run()
    _, histograms = otel.metrics()
    busy = histograms["typedstream.stage.busy"]
    assert sorted(str((p.attributes or {}).get("typedstream.stage")) for p in busy) == ["even", "inc", "source"]
    assert all(p.count == 1 for p in busy)
    [duration] = histograms["typedstream.run.duration"]
    assert duration.count == 1
    assert dict(duration.attributes or {}) == {"typedstream.outcome": "completed"}
    assert duration.sum == pytest.approx(report.wall_time)
    assert duration.explicit_bounds[0] < 1  # seconds, not the SDK's millisecond default


# -- registration ----------------------------------------------------------------------------------------------


async def test_instrument_twice_exports_once(otel: Telemetry) -> None:
    hooks = len(report_hooks())
    otel.instrument()
    otel.instrument()
    assert len(report_hooks()) == hooks
    assert typedstream.otel.is_instrumented()
    await pipeline().run()
    otel.only_span()
    assert otel.counter("typedstream.runs") == 1
    assert otel.counter("typedstream.stage.items_out", **{"typedstream.stage": "even"}) == 5


async def test_nothing_is_exported_after_uninstrument(otel: Telemetry) -> None:
    hooks = len(report_hooks())
    typedstream.otel.uninstrument()
    assert not typedstream.otel.is_instrumented()
    assert len(report_hooks()) == hooks - 1
    typedstream.otel.uninstrument()  # a no-op
    assert len(report_hooks()) == hooks - 1
    await pipeline().run()
    assert otel.run_spans() == []
    assert otel.metrics() == ({}, {})


def test_is_instrumented() -> None:
    assert not typedstream.otel.is_instrumented()
    typedstream.otel.instrument()  # the global (no-op or proxy) providers
    try:
        assert typedstream.otel.is_instrumented()
    finally:
        typedstream.otel.uninstrument()
    assert not typedstream.otel.is_instrumented()


async def test_a_failing_export_never_fails_the_run(
    otel: Telemetry, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(report: ts.RunReport) -> dict[str, str]:
        raise RuntimeError("exporter bug")

    monkeypatch.setattr(typedstream.otel, "_span_attributes", broken)
    with caplog.at_level(logging.ERROR, logger="typedstream.otel"):
        assert await pipeline().collect() == [2, 4, 6, 8, 10]
    assert "exporting a run report to OpenTelemetry failed" in caplog.text
    assert otel.run_spans() == []


def test_instrument_without_opentelemetry_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("opentelemetry", "opentelemetry.trace", "opentelemetry.metrics"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError) as info:
        typedstream.otel.instrument()
    assert str(info.value) == "typedstream.otel needs opentelemetry-api: pip install 'typedstream[otel]'"
    assert not typedstream.otel.is_instrumented()


def test_importing_typedstream_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, typedstream, typedstream.otel\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'opentelemetry']\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
