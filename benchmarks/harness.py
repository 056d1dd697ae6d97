"""The measuring harness shared by the workloads: contenders, timed rounds, result checks, printing and JSON.

A workload module builds a list of ``Contender``s, hands them to ``measure`` (one warm-up run each, then
interleaved timed rounds, every result checked) and wraps the rows in a ``Section`` with its verdicts;
``run.py`` prints each section as it finishes, then the summary, and optionally writes the JSON.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import io
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from aiostream.stream.combine import MapCallable

T = TypeVar("T")
U = TypeVar("U")

REPO = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------------ measuring


@dataclass
class Contender:
    """One way of computing a workload's result: an async function (run on the workload's event loop) or a
    plain function."""

    name: str
    arun: Callable[[], Awaitable[object]] | None = None
    run: Callable[[], object] | None = None
    reference: bool = False  # the row the others are compared to

    @classmethod
    def coro(cls, name: str, arun: Callable[[], Awaitable[object]], *, reference: bool = False) -> Contender:
        return cls(name, arun=arun, reference=reference)

    @classmethod
    def sync(cls, name: str, run: Callable[[], object]) -> Contender:
        return cls(name, run=run)


@dataclass
class Row:
    name: str
    times: list[float]
    result: object
    ok: bool
    note: str = ""
    reference: bool = False

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list[Row])
    lines: list[str] = field(default_factory=list[str])  # extra free-form lines under the table
    verdicts: list[tuple[str, bool | None]] = field(default_factory=list[tuple[str, bool | None]])
    errors: list[str] = field(default_factory=list[str])  # wrong results and failed runs
    data: dict[str, object] = field(default_factory=dict[str, object])


async def _timed(run: Callable[[], Awaitable[object]]) -> tuple[float, object]:
    t0 = time.perf_counter()
    result = await run()
    return time.perf_counter() - t0, result


def _once(contender: Contender, runner: asyncio.Runner) -> tuple[float, object]:
    gc.collect()
    if contender.arun is not None:
        return runner.run(_timed(contender.arun))
    assert contender.run is not None
    t0 = time.perf_counter()
    result = contender.run()
    return time.perf_counter() - t0, result


def measure(
    contenders: Sequence[Contender],
    rounds: int,
    check: Callable[[object], bool],
    show: Callable[[object], str] = str,
) -> list[Row]:
    """One warm-up run of every contender, then ``rounds`` interleaved rounds (so drift hits all alike).

    Async contenders run on one event loop per workload (an ``asyncio.Runner``); timing is taken inside the
    loop, so loop start-up is not counted. Every run's result is checked.
    """
    times: dict[str, list[float]] = {c.name: [] for c in contenders}
    results: dict[str, object] = {}
    bad: dict[str, str] = {}
    with asyncio.Runner() as runner:
        for c in contenders:  # warm-up
            _, result = _once(c, runner)
            results[c.name] = result
            if not check(result):
                bad[c.name] = show(result)
        for _ in range(rounds):
            for c in contenders:
                dt, result = _once(c, runner)
                times[c.name].append(dt)
                if not check(result) and c.name not in bad:
                    bad[c.name] = show(result)
    return [
        Row(
            name=c.name,
            times=times[c.name],
            result=show(results[c.name]),
            ok=c.name not in bad,
            note="" if c.name not in bad else f"WRONG RESULT: {bad[c.name]}",
            reference=c.reference,
        )
        for c in contenders
    ]


# ------------------------------------------------------------------------------------------ shared helpers


def show_count(r: object) -> str:
    """A count with thousands separators (anything else as its repr)."""
    return f"{r:,}" if isinstance(r, int) else repr(r)


def version(dist: str) -> str:
    """The installed version of a peer library, for its row's name."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(dist)
    except PackageNotFoundError:
        return "?"


def aio(f: Callable[[T], U]) -> MapCallable[T, U]:
    """aiostream types ``map``'s function as ``(x, /, *args) -> ...``, which a one-argument function does not
    match (a stub bug: any function of as many arguments as sources is fine at run time). Cast just that."""
    return cast("MapCallable[T, U]", f)


def aio_async(f: Callable[[T], Awaitable[U]]) -> MapCallable[T, U]:
    """``aio`` for an async function: the result type is what the coroutine returns."""
    return cast("MapCallable[T, U]", f)


class BaselineError(Exception):
    """The baseline revision could not be extracted (not a git checkout, or no such revision)."""


def load_baseline(rev: str) -> ModuleType:
    """typedstream as of ``rev``, imported as ``typedstream_baseline`` next to the current one (the package
    imports itself only relatively, so a renamed copy is independent). Raises BaselineError outside a git
    checkout or for a revision without a typedstream package."""
    try:
        archive = subprocess.run(
            ["git", "archive", rev, "typedstream"], cwd=REPO, capture_output=True, check=True, timeout=60
        ).stdout
    except subprocess.CalledProcessError as e:
        message = e.stderr.decode(errors="replace").strip().splitlines()
        raise BaselineError(message[0] if message else f"git archive exited {e.returncode}") from e
    except (OSError, subprocess.SubprocessError) as e:
        raise BaselineError(str(e)) from e
    target = Path(tempfile.mkdtemp(prefix="typedstream-baseline-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    (target / "typedstream").rename(target / "typedstream_baseline")
    sys.path.insert(0, str(target))
    try:
        return importlib.import_module("typedstream_baseline")
    finally:
        sys.path.remove(str(target))


# ----------------------------------------------------------------------------------------------- reporting


def _mark(passed: bool | None) -> str:
    return "info" if passed is None else ("PASS" if passed else "MISS")


def print_section(sec: Section) -> None:
    print()
    print(sec.title)
    if sec.rows:
        ref = next((r for r in sec.rows if r.reference), None)
        width = max(len(r.name) for r in sec.rows) + 2
        head = f"  {'contender':<{width}}{'best':>10}{'median':>10}"
        if ref is not None:
            head += f"{'vs ref':>9}"
        print(head + "   result")
        for r in sec.rows:
            line = f"  {r.name:<{width}}{r.best:>9.3f}s{r.median:>9.3f}s"
            if ref is not None:
                line += f"{'(ref)' if r is ref else f'{r.best / ref.best:.2f}x':>9}"
            line += f"   {r.result}"
            if r.note:
                line += f"   {r.note}"
            print(line)
    for line in sec.lines:
        print(f"  {line}")
    for text, passed in sec.verdicts:
        print(f"  [{_mark(passed)}] {text}")


def summary(sections: Sequence[Section], seconds: float) -> list[tuple[str, str]]:
    """Print every verdict, then every wrong result and failed run; return the latter as (workload, text)."""
    print()
    print(f"Summary (total {seconds:.0f} s)")
    for sec in sections:
        for text, passed in sec.verdicts:
            print(f"  [{_mark(passed)}] {sec.key:<4}{text}")
    wrong = [(sec.key, f"{r.name}: wrong result (see above)") for sec in sections for r in sec.rows if not r.ok]
    wrong += [(sec.key, e) for sec in sections for e in sec.errors]
    for key, text in wrong:
        print(f"  [FAIL] {key:<4}{text}")
    return wrong


def write_json(path: str, sections: Sequence[Section], *, quick: bool, rounds: int) -> None:
    payload = {
        "python": sys.version,
        "quick": quick,
        "rounds": rounds,
        "workloads": {
            sec.key: {
                "title": sec.title,
                "rows": [
                    {"name": r.name, "best": r.best, "median": r.median, "times": r.times, "ok": r.ok,
                     "result": str(r.result), "note": r.note}
                    for r in sec.rows
                ],
                "verdicts": [{"text": t, "passed": p} for t, p in sec.verdicts],
                "data": sec.data,
            }
            for sec in sections
        },
    }
    Path(path).write_text(json.dumps(payload, indent=2))
