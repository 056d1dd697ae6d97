"""Export every run's report to OpenTelemetry: one span per run and per-stage metrics.

Needs ``opentelemetry-api`` (``pip install 'typedstream[otel]'``) plus an SDK or distro of your choice to send
the data somewhere. This module is never imported by ``import typedstream``; enable the export explicitly::

    import typedstream.otel

    typedstream.otel.instrument()  # the global tracer and meter providers

    # or with providers of your own
    typedstream.otel.instrument(tracer_provider=my_tracer_provider, meter_provider=my_meter_provider)

From then on every run (``collect``, ``into``, ``run``, ``async for``, ``stream``) ends with:

- a span ``typedstream.run`` from the run's start to its end, a child of the span current where the run ended,
  carrying the run's totals (``typedstream.outcome``, ``typedstream.items``, ...) and every stage's metrics
  (``typedstream.stage.<name>.items_in``, ...); its status is ERROR with the error for a failed run;
- counters ``typedstream.stage.items_in``, ``.items_out``, ``.filtered``, ``.skipped``, ``.failed``,
  ``.retried`` and a histogram ``typedstream.stage.busy`` per stage (attributes ``typedstream.stage`` and
  ``typedstream.kind``), and ``typedstream.runs`` / ``typedstream.run.duration`` per run (attribute
  ``typedstream.outcome``).

Calling :func:`instrument` again replaces the previous registration; :func:`uninstrument` stops the export.
The export never fails a run: an error inside it is logged on the ``typedstream.otel`` logger.
See ``docs/otel.md`` for the full list of names.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, cast

from ._report import RunReport, StageMetrics
from ._engine import add_report_hook, remove_report_hook, report_hooks

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, Meter, MeterProvider
    from opentelemetry.trace import Tracer, TracerProvider
    from opentelemetry.util.types import AttributeValue

__all__ = ["instrument", "is_instrumented", "uninstrument"]

_SPAN_NAME: Final = "typedstream.run"
"""The name of the span each run ends with."""

_INSTALL_HINT: Final = "typedstream.otel needs opentelemetry-api: pip install 'typedstream[otel]'"

_STAGE_COUNTERS: Final = ("items_in", "items_out", "filtered", "skipped", "failed", "retried", "caught", "timed_out")
"""Stage fields exported as counters ``typedstream.stage.<field>`` (and as span attributes)."""

_DURATION_BUCKETS: Final = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
)
"""Seconds: the SDK's default boundaries (0, 5, 10, 25, ... 10000) are meant for milliseconds."""

_logger = logging.getLogger(__name__)
_lock = threading.Lock()
_hook: Callable[[RunReport], None] | None = None


def instrument(*, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None) -> None:
    """Export the report of every run from now on: a span to ``tracer_provider`` and metrics to
    ``meter_provider`` (each defaults to the global provider; the global ones may also be set later).

    Calling it again replaces the previous registration, so every run is exported once.
    Raises ImportError if ``opentelemetry-api`` is not installed.
    """
    global _hook
    try:
        from opentelemetry import metrics, trace
    except ImportError as e:
        raise ImportError(_INSTALL_HINT) from e
    version = _version()
    exporter = _Exporter(
        trace.get_tracer("typedstream", version, tracer_provider),
        metrics.get_meter("typedstream", version or "", meter_provider),
    )
    with _lock:
        _remove_hook()
        _hook = exporter
        add_report_hook(exporter)


def uninstrument() -> None:
    """Stop exporting run reports (a no-op if :func:`instrument` was not called)."""
    with _lock:
        _remove_hook()


def is_instrumented() -> bool:
    """Whether runs are being exported."""
    hook = _hook
    return hook is not None and any(h is hook for h in report_hooks())


def _remove_hook() -> None:
    global _hook
    hook, _hook = _hook, None
    if hook is not None:
        remove_report_hook(hook)


def _version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("typedstream")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
        return None


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


class _Exporter:
    """The hook: turns one final report into one span and the metric points; never raises."""

    def __init__(self, tracer: Tracer, meter: Meter) -> None:
        self.tracer = tracer
        self.counters: dict[str, Counter] = {
            field: meter.create_counter(
                f"typedstream.stage.{field}", unit="{element}", description=_COUNTER_DESCRIPTIONS[field]
            )
            for field in _STAGE_COUNTERS
        }
        self.busy = _histogram(meter, "typedstream.stage.busy", "Time a stage spent in user code in one run")
        self.duration = _histogram(meter, "typedstream.run.duration", "Wall time of a run, by outcome")
        self.runs = meter.create_counter("typedstream.runs", unit="{run}", description="Runs ended, by outcome")

    def __call__(self, report: RunReport) -> None:
        try:
            self.export(report)
        except Exception:  # telemetry must not fail the run it describes
            _logger.exception("typedstream: exporting a run report to OpenTelemetry failed")

    def export(self, report: RunReport) -> None:
        from opentelemetry.trace import Status, StatusCode

        start = _ns(report.started_at)
        span = self.tracer.start_span(_SPAN_NAME, attributes=_span_attributes(report), start_time=start)
        if report.outcome == "failed":
            span.set_status(Status(StatusCode.ERROR, report.error))
        span.end(end_time=start + _ns(report.wall_time))

        for st in report.stages:
            labels: Mapping[str, AttributeValue] = {"typedstream.stage": st.name, "typedstream.kind": st.kind}
            for field, value in _stage_counts(st).items():
                if value >= 0:  # 0 too: a series that exists from the first run makes rate() and alerts work
                    self.counters[field].add(value, labels)
            self.busy.record(st.busy, labels)
        outcome = {"typedstream.outcome": report.outcome}
        self.runs.add(1, outcome)
        self.duration.record(report.wall_time, outcome)


_COUNTER_DESCRIPTIONS: Final = {
    "items_in": "Elements a stage finished with",
    "items_out": "Elements a stage passed on",
    "filtered": "Elements a stage chose not to pass on",
    "skipped": "Elements dropped by on_error='skip'",
    "failed": "Elements whose failure ended a run",
    "retried": "Extra calls made by retry=",
    "caught": "Failures a stage turned into values (try_map, Pipeline steps)",
    "timed_out": "Calls that took longer than timeout=",
}


def _histogram(meter: Meter, name: str, description: str) -> Histogram:
    try:
        return meter.create_histogram(
            name, unit="s", description=description, explicit_bucket_boundaries_advisory=_DURATION_BUCKETS
        )
    except TypeError:  # pragma: no cover - opentelemetry-api/-sdk < 1.30 take no bucket advice
        return meter.create_histogram(name, unit="s", description=description)


def _span_attributes(report: RunReport) -> dict[str, AttributeValue]:
    """The attributes of a run's span: its totals, then every stage's metrics under ``typedstream.stage.<name>.``."""
    attrs: dict[str, AttributeValue] = {
        "typedstream.outcome": report.outcome,
        "typedstream.items": report.items,
        "typedstream.items_in": report.items_in,
        "typedstream.filtered": report.filtered,
        "typedstream.skipped": report.skipped,
        "typedstream.failed": report.failed,
        "typedstream.retried": report.retried,
        "typedstream.caught": report.caught,
        "typedstream.wall_time": report.wall_time,
        "typedstream.stages": tuple(s.name for s in report.stages),
    }
    for st in report.stages:
        attrs.update(_stage_attributes(st))
    return attrs


def _stage_counts(st: StageMetrics) -> dict[str, int]:
    """The counted fields of a stage, in ``_STAGE_COUNTERS`` order."""
    return {field: cast(int, getattr(st, field)) for field in _STAGE_COUNTERS}


def _stage_attributes(st: StageMetrics) -> dict[str, AttributeValue]:
    """Every field of ``st.to_dict()`` but its name, the latency as ``latency.p50``/``.p95``/``.max``; the
    executor and dispatch time only for a stage with ``executor=``."""
    fields = st.to_dict()
    left_out = ("name", "latency") if st.executor is not None else ("name", "latency", "executor", "dispatch")
    values = cast("dict[str, AttributeValue]", {k: v for k, v in fields.items() if k not in left_out})
    if (lat := fields["latency"]) is not None:
        values.update({"latency.p50": lat["p50"], "latency.p95": lat["p95"], "latency.max": lat["max"]})
    prefix = f"typedstream.stage.{st.name}."
    return {prefix + key: value for key, value in values.items()}

