"""The record a run leaves behind: per-stage metrics, the accounting totals and the outcome."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from collections.abc import Callable
from typing import ClassVar, Literal, TypedDict

from typing_extensions import TypedDict as ClosedTypedDict  # PEP 728 closed=, not in typing before 3.15

__all__ = ["Latency", "LatencyDict", "Outcome", "RunOptions", "RunReport", "RunReportDict", "StageMetrics", "StageMetricsDict"]

Outcome = Literal["running", "completed", "failed", "cancelled"]


class LatencyDict(TypedDict):
    count: int
    mean: float
    p50: float
    p95: float
    max: float


class StageMetricsDict(TypedDict):
    """``StageMetrics.to_dict()``."""

    name: str
    kind: str
    concurrency: int
    items_in: int
    items_out: int
    filtered: int
    skipped: int
    failed: int
    retried: int
    caught: int
    executor: str | None
    busy: float
    dispatch: float
    rate_wait: float
    retry_wait: float
    timed_out: int
    wait_upstream: float
    wait_downstream: float
    latency: LatencyDict | None


class RunReportDict(TypedDict):
    """``RunReport.to_dict()``: JSON-ready."""

    outcome: Outcome
    error: str | None
    started_at: float
    wall_time: float
    items: int
    throughput: float
    items_in: int
    filtered: int
    skipped: int
    failed: int
    retried: int
    caught: int
    stages: list[StageMetricsDict]


@dataclass(frozen=True, slots=True)
class Latency:
    """Per-call times of a stage that calls its function per element (async, concurrent, flat_map).

    Percentiles come from log-spaced buckets: within 3.1 % of the exact value, never above ``max``.
    """

    count: int
    mean: float
    p50: float
    p95: float
    max: float


@dataclass(frozen=True, slots=True)
class StageMetrics:
    """What one stage did in one run.

    An element counts as in once the stage is done with it, so for every stage that is not reshaping
    (``flat_map``, ``flatten``, ``batch``, ``batch_within``, ``merge``, ``concat``, ``zip``)
    ``items_in == items_out + filtered + skipped + failed``, also when the run fails or stops early. Elements
    that were in flight between stages when a run ended early appear in one stage's ``items_out`` and in no
    later stage's ``items_in``.

    Times are in seconds. Fused synchronous stages are timed per chunk and share their segment's waits.
    """

    RESHAPING: ClassVar[frozenset[str]] = frozenset(
        {"source", "flat_map", "flatten", "batch", "batch_within", "merge", "concat", "zip"}
    )
    """The kinds of the built-in stages for which the identity above does not hold (their output count is not
    bounded by their input count); ``filtered`` is 0 for them. The engine decides from each operator's shape,
    not from this set, which a test keeps equal to those shapes."""

    name: str
    """Unique within the run: the function's name or ``name=``, then ``#2``, ``#3`` for repeats."""
    kind: str
    items_in: int
    """Elements the stage finished with (a source has none: it only produces); for the reshaping stages that are
    async boundaries of their own (``batch_within``, ``merge``, ``concat``, ``zip``, a lazy ``flat_map``), the
    elements it took in."""
    items_out: int
    """Elements it passed on."""
    skipped: int
    """Elements dropped by ``on_error="skip"`` (each also sent to the dead-letter sink, if any)."""
    failed: int
    """Elements whose failure ended the run (normally 0 or 1; concurrent calls may fail together)."""
    retried: int
    """Extra calls made by ``retry=`` (attempts beyond the first, over all elements)."""
    busy: float = 0.0
    """Time inside user code, summed over concurrent calls (a source: time producing its elements)."""
    wait_upstream: float = 0.0
    """Time waiting for input from the stage before."""
    wait_downstream: float = 0.0
    """Time an output chunk waited for the stage after to ask for more (backpressure)."""
    latency: Latency | None = None
    """Per-element call times; None for stages that do not call per element."""
    concurrency: int = 1
    filtered: int = 0
    """Elements the stage chose not to pass on: a false predicate, a duplicate, beyond a ``take``, ... (counted,
    not derived from the other counts; 0 for reshaping stages)."""
    caught: int = 0
    """Elements whose failure was turned into a value and passed on (counted in ``items_out`` too): ``try_map``'s
    ``Failure``s, a batch ``Pipeline`` step's ``StepError``s."""
    executor: str | None = None
    """Where a stage with ``executor=`` ran its calls: ``thread(8)``, ``process(2)``, ``dask(4)``, ... (None: on
    the event loop). Its ``busy`` time is the time its calls took on the workers."""
    dispatch: float = 0.0
    """A stage with ``executor=``: time its remote tasks spent outside the calls (submitting, sending elements and
    results, queueing for a worker), summed over tasks."""
    rate_wait: float = 0.0
    """Time calls waited for a token of the stage's ``rate_limit=``, summed over calls (not busy time)."""
    retry_wait: float = 0.0
    """Time elements waited between attempts (``retry=``), summed over elements (not busy time)."""
    timed_out: int = 0
    """Calls (attempts) that took longer than ``timeout=``; each raised ``TimeoutError`` in its element."""

    def to_dict(self) -> StageMetricsDict:
        """JSON-ready: every field, plus ``filtered``."""
        latency = self.latency
        return {
            "name": self.name,
            "kind": self.kind,
            "concurrency": self.concurrency,
            "items_in": self.items_in,
            "items_out": self.items_out,
            "filtered": self.filtered,
            "skipped": self.skipped,
            "failed": self.failed,
            "retried": self.retried,
            "caught": self.caught,
            "executor": self.executor,
            "busy": self.busy,
            "dispatch": self.dispatch,
            "rate_wait": self.rate_wait,
            "retry_wait": self.retry_wait,
            "timed_out": self.timed_out,
            "wait_upstream": self.wait_upstream,
            "wait_downstream": self.wait_downstream,
            "latency": None
            if latency is None
            else {"count": latency.count, "mean": latency.mean, "p50": latency.p50, "p95": latency.p95, "max": latency.max},
        }


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a run did: ``await src.run()`` returns it; every way of running passes it to ``on_report=``."""

    items: int
    """Elements delivered at the end of the pipeline."""
    wall_time: float
    """Seconds from the start of the run to the moment every task and generator was closed."""
    stages: tuple[StageMetrics, ...] = ()
    """Per stage, in pipeline order (the sources of ``merge``/``concat``/``zip`` follow their stage)."""
    outcome: Outcome = "completed"
    """``running`` in a progress snapshot; at the end ``completed``, ``failed`` or ``cancelled``."""
    error: str | None = None
    """The failure that ended a failed run, as ``Type: message``."""
    started_at: float = 0.0
    """When the run started, in seconds since the epoch."""
    items_in: int = 0
    """Elements produced by the run's sources."""

    @property
    def throughput(self) -> float:
        """Elements per second at the end of the pipeline."""
        return self.items / self.wall_time if self.wall_time > 0 else 0.0

    @property
    def filtered(self) -> int:
        return sum(s.filtered for s in self.stages)

    @property
    def skipped(self) -> int:
        return sum(s.skipped for s in self.stages)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.stages)

    @property
    def retried(self) -> int:
        return sum(s.retried for s in self.stages)

    @property
    def caught(self) -> int:
        return sum(s.caught for s in self.stages)

    def stage(self, name: str) -> StageMetrics:
        """The metrics of the stage called ``name``."""
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"no stage named {name!r} in this run (stages: {', '.join(s.name for s in self.stages)})")

    def to_dict(self) -> RunReportDict:
        """JSON-ready (``json.dumps(report.to_dict())``): the run, its totals and every stage."""
        return {
            "outcome": self.outcome,
            "error": self.error,
            "started_at": self.started_at,
            "wall_time": self.wall_time,
            "items": self.items,
            "throughput": self.throughput,
            "items_in": self.items_in,
            "filtered": self.filtered,
            "skipped": self.skipped,
            "failed": self.failed,
            "retried": self.retried,
            "caught": self.caught,
            "stages": [s.to_dict() for s in self.stages],
        }

    def table(self, *, plain: bool = False, width: int = 100) -> str:
        """The stages as a readable table, at most ``width`` columns wide (the least telling columns are left out
        when it would not fit: p95, the waits, p50, busy, ...): drawn with ``rich`` when it is installed
        (``typedstream[progress]``) unless ``plain``, else plain text. Busy time and waits are shown as shares of
        the run's wall time, busy per worker for a concurrent stage."""
        title = (
            f"{self.outcome}: {self.items:,} items delivered, {self.items_in:,} read, in {self.wall_time:.3f} s "
            f"({self.throughput:,.0f}/s)" + (f" - {self.error}" if self.error else "")
        )
        title = textwrap.fill(title, width)
        rows = [_row(s, self.wall_time) for s in self.stages]
        rare = {"caught": self.caught, **{h: any(getattr(s, f) for s in self.stages) for h, f in RARE.items()}}
        keep = [i for i, (header, _) in enumerate(COLUMNS) if rare.get(header, True)]  # rare ones: on demand
        droppable = sorted((i for i in keep if COLUMNS[i][1] < 99), key=lambda i: COLUMNS[i][1])
        while True:
            text, legend = _render(title, keep, rows, plain)
            if max(map(len, text.splitlines())) <= width or not droppable:
                return text + "".join(f"\n{line}" for line in textwrap.wrap(legend, width))
            keep.remove(droppable.pop(0))


# (header, priority): columns are left out lowest priority first until the table fits its width.
COLUMNS = (
    ("stage", 99), ("kind", 7), ("in", 99), ("out", 99), ("filtered", 6), ("skipped", 6), ("failed", 8),
    ("retried", 5), ("caught", 5), ("timed out", 5), ("busy", 4), ("rate wait", 3), ("retry wait", 3),
    ("wait up", 2), ("wait down", 2), ("p50 ms", 3), ("p95 ms", 1),
)
RARE = {"timed out": "timed_out", "rate wait": "rate_wait", "retry wait": "retry_wait"}
"""Columns shown only when some stage has a value in them (as ``caught``, when the run caught something)."""
TEXT = ("stage", "kind")  # the other columns are numbers, aligned right
LEGEND = (  # (the columns it explains, what it says): the legend names only the columns shown
    (("busy",), "busy: in user code, per worker"),
    (("rate wait", "retry wait"), "rate/retry wait: for a rate-limit token, between attempts, per worker"),
    (("wait up", "wait down"), "wait up/down: for the stage before/after"),
)


def _share(seconds: float, of: float) -> str:
    return "-" if of <= 0 else f"{100 * seconds / of:.0f}%"


def _workers(s: StageMetrics) -> int:
    """Calls the stage can run at once: its concurrency, or its executor's workers (``process(2)``) if fewer."""
    if s.executor is not None and s.executor.endswith(")"):
        workers = s.executor.rpartition("(")[2][:-1]
        if workers.isdigit():
            return max(1, min(s.concurrency, int(workers)))
    return s.concurrency


def _row(s: StageMetrics, wall: float) -> tuple[str, ...]:
    lat = s.latency
    kind = s.kind if s.concurrency == 1 else f"{s.kind} x{s.concurrency}"
    if s.executor is not None:
        kind += f" @{s.executor}"
    ms = ("-", "-") if lat is None else tuple(f"{v * 1000:.1f}" for v in (lat.p50, lat.p95))
    counts = (s.items_in, s.items_out, s.filtered, s.skipped, s.failed, s.retried, s.caught, s.timed_out)
    per_worker = wall * _workers(s)
    times = (
        _share(s.busy, per_worker), _share(s.rate_wait, per_worker), _share(s.retry_wait, per_worker),
        _share(s.wait_upstream, wall), _share(s.wait_downstream, wall),
    )
    return (s.name, kind, *(f"{n:,}" for n in counts), *times, *ms)


def _render(title: str, keep: list[int], rows: list[tuple[str, ...]], plain: bool) -> tuple[str, str]:
    """The table with the columns ``keep``, and the legend of the columns it shows."""
    headers = tuple(COLUMNS[i][0] for i in keep)
    cells = [tuple(r[i] for i in keep) for r in rows]
    said = [text for columns, text in LEGEND if any(h in headers for h in columns)]
    legend = f"{'; '.join(said)}; shares of the run" if said else ""
    if not plain:
        try:
            return _rich_table(title, headers, cells), legend
        except ImportError:
            pass
    return _plain_table(title, headers, cells), legend


def _plain_table(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if h in TEXT else c.rjust(w) for h, c, w in zip(headers, cells, widths))

    return "\n".join([title, line(headers), line(tuple("-" * w for w in widths)), *map(line, rows)])


def _rich_table(title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for h in headers:
        table.add_column(h, justify="left" if h in TEXT else "right", no_wrap=True)
    for r in rows:
        table.add_row(*r)
    out = io.StringIO()
    Console(file=out, width=1000, force_terminal=False, color_system=None).print(table)  # never wrap or cut
    return "\n".join(line.rstrip() for line in out.getvalue().rstrip("\n").splitlines())


class RunOptions(ClosedTypedDict, total=False, closed=True):
    """What every way of running a Source (``collect``, ``into``, ``run``, ``stream``) accepts."""

    on_report: Callable[[RunReport], object]
    """Called once with the final report when the run ends: completed, failed or cancelled."""
    on_progress: Callable[[RunReport], object]
    """Called every ``interval`` seconds while running with a snapshot (``outcome == "running"``)."""
    interval: float
    """Seconds between progress snapshots (default 1.0; 0.1 for ``progress=True``)."""
    progress: bool
    """Show live per-stage counts and throughput on stderr (needs ``typedstream[progress]``, i.e. rich)."""
