"""typedstream benchmarks: throughput, concurrency, memory and type-checking cost.

Usage::

    python benchmarks/run.py                  # everything (a few minutes)
    python benchmarks/run.py --quick          # smaller sizes, fewer rounds (a smoke test)
    python benchmarks/run.py --only W1,W2b    # a subset
    python benchmarks/run.py --json out.json  # also write the numbers as JSON

Everything runs in this one process, on the same data, except W3 (peak RSS needs a fresh process) and W4 (the
type checkers are separate programs). Nothing is written into the repository; W4's generated files live in a
temporary directory. See benchmarks/README.md for what each workload measures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar, cast

import typedstream as ts

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


# ----------------------------------------------------------------------------------------------- W1 (throughput)


def aio(f: Callable[[T], U]) -> MapCallable[T, U]:
    """aiostream types ``map``'s function as ``(x, /, *args) -> ...``, which a one-argument function does not
    match (a stub bug: any function of as many arguments as sources is fine at run time). Cast just that."""
    return cast("MapCallable[T, U]", f)


def aio_async(f: Callable[[T], Awaitable[U]]) -> MapCallable[T, U]:
    """``aio`` for an async function: the result type is what the coroutine returns."""
    return cast("MapCallable[T, U]", f)




def inc(x: int) -> int:
    return x + 1


def not_div3(x: int) -> bool:
    return x % 3 != 0


def dbl(x: int) -> int:
    return x * 2


def not_div5(x: int) -> bool:
    return x % 5 != 0


async def agen(xs: Iterable[T]) -> AsyncIterator[T]:
    for x in xs:
        yield x


async def amap(f: Callable[[T], U], it: AsyncIterable[T]) -> AsyncIterator[U]:
    async for x in it:
        yield f(x)


async def afilter(pred: Callable[[T], object], it: AsyncIterable[T]) -> AsyncIterator[T]:
    async for x in it:
        if pred(x):
            yield x


async def acount(it: AsyncIterable[object]) -> int:
    n = 0
    async for _ in it:
        n += 1
    return n


METRICS_BASELINE = "026c561"  # the last commit before per-stage timing (issue 4): W1 with metrics vs without


def load_baseline(rev: str) -> ModuleType | None:
    """typedstream as of ``rev``, imported as ``typedstream_baseline`` next to the current one (the package
    imports itself only relatively, so a renamed copy is independent). None outside a git checkout."""
    root = Path(__file__).resolve().parent.parent
    target = Path(tempfile.mkdtemp(prefix="typedstream-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "archive", rev, "typedstream"], cwd=root, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    (target / "typedstream").rename(target / "typedstream_baseline")
    sys.path.insert(0, str(target))
    try:
        return importlib.import_module("typedstream_baseline")
    finally:
        sys.path.remove(str(target))


def w1(n: int, rounds: int) -> Section:
    import aiostream
    import asyncstdlib
    import streamable

    data = list(range(n))

    def plain() -> int:
        count = 0
        for x in data:
            x = inc(x)
            if not_div3(x):
                x = dbl(x)
                if not_div5(x):
                    str(x)
                    count += 1
        return count

    expected = plain()

    async def handwritten() -> int:
        return await acount(amap(str, afilter(not_div5, amap(dbl, afilter(not_div3, amap(inc, agen(data)))))))

    pipeline = ts.source(data) | ts.map(inc) | ts.filter(not_div3) | ts.map(dbl) | ts.filter(not_div5) | ts.map(str)

    async def typedstream_into() -> int:
        return await pipeline.into(ts.count())

    # The same stages with error handling on every one: the success path must not pay for it.
    retry = ts.Retry(3, ts.Backoff.exponential())
    guard: ts.ElementOptions[int] = {"retry": retry, "on_error": "skip"}
    guarded = (
        ts.source(data)
        | ts.map(inc, **guard)
        | ts.filter(not_div3, **guard)
        | ts.map(dbl, **guard)
        | ts.filter(not_div5, **guard)
        | ts.map(str, of=int, retry=retry, on_error="skip")
    )

    async def typedstream_guarded() -> int:
        return await guarded.into(ts.count())

    async def typedstream_async_for() -> int:
        return await acount(pipeline)

    baseline = load_baseline(METRICS_BASELINE)

    async def typedstream_baseline() -> int:
        b = baseline
        assert b is not None
        chain = b.source(data) | b.map(inc) | b.filter(not_div3) | b.map(dbl) | b.filter(not_div5) | b.map(str)
        return cast(int, await chain.into(b.count()))

    async def aiostream_chain() -> int:
        xs = (
            aiostream.stream.iterate(data)
            | aiostream.pipe.map(aio(inc))
            | aiostream.pipe.filter(not_div3)
            | aiostream.pipe.map(aio(dbl))
            | aiostream.pipe.filter(not_div5)
            | aiostream.pipe.map(aio(str))
        )
        count = 0
        async with xs.stream() as it:
            count = await acount(it)
        return count

    async def asyncstdlib_chain() -> int:
        a = asyncstdlib
        return await acount(a.map(str, a.filter(not_div5, a.map(dbl, a.filter(not_div3, a.map(inc, agen(data)))))))

    def streamable_pipeline() -> streamable.stream[str]:
        return streamable.stream(data).map(inc).filter(not_div3).map(dbl).filter(not_div5).map(str)

    async def streamable_async() -> int:
        return await acount(streamable_pipeline())

    def streamable_sync() -> int:
        return sum(1 for _ in streamable_pipeline())

    contenders = [
        Contender.coro("typedstream  .into(count())", typedstream_into),
        Contender.coro("typedstream  async for", typedstream_async_for),
        Contender.coro("typedstream  retry= and on_error='skip' on every stage", typedstream_guarded),
        *(
            [Contender.coro(f"typedstream  at {METRICS_BASELINE}, before stage timing", typedstream_baseline)]
            if baseline is not None
            else []
        ),
        Contender.coro("hand-written async generators", handwritten, reference=True),
        Contender.coro(f"aiostream {_version('aiostream')}", aiostream_chain),
        Contender.coro(f"asyncstdlib {_version('asyncstdlib')}", asyncstdlib_chain),
        Contender.coro(f"streamable {_version('streamable')}  async for", streamable_async),
        Contender.sync(f"streamable {_version('streamable')}  sync for", streamable_sync),
        Contender.sync("plain for loop (sync)", plain),
    ]
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=lambda r: f"{r:,}" if isinstance(r, int) else repr(r))
    sec = Section(
        "W1",
        f"W1  {n:,} ints: map(+1) -> filter(x%3) -> map(*2) -> filter(x%5) -> map(str) -> count   "
        f"(best of {rounds}; expected count {expected:,})",
        rows,
    )
    ref = next(r for r in rows if r.reference)
    ratio = rows[0].best / ref.best
    sec.data["typedstream_ratio"] = ratio
    sec.verdicts.append((f"typedstream <= 0.40x the hand-written chain: {ratio:.2f}x", ratio <= 0.40))
    guarded_row = next(r for r in rows if "retry=" in r.name)
    overhead = guarded_row.best / rows[0].best
    sec.data["guarded_overhead"] = overhead
    sec.verdicts.append((f"retry + skip on every stage <= 1.15x without: {overhead:.2f}x", overhead <= 1.15))
    base_row = next((r for r in rows if "before stage timing" in r.name), None)
    if base_row is not None:
        cost = rows[0].best / base_row.best
        sec.data["metrics_cost"] = cost
        sec.verdicts.append((f"with metrics <= 1.10x the engine before them: {cost:.2f}x", cost <= 1.10))
    return sec


# ---------------------------------------------------------------------------------------- W2 (concurrency)


def w2(n: int, rounds: int) -> Section:
    import aiostream
    import streamable

    delay, conc = 0.01, 50
    ideal = n * delay / conc
    expected = list(range(n))

    async def f(x: int) -> int:
        await asyncio.sleep(delay)
        return x

    async def typedstream_ordered() -> list[int]:
        return await (ts.source(range(n)) | ts.map(f, concurrency=conc)).collect()

    async def typedstream_unordered() -> list[int]:
        return sorted(await (ts.source(range(n)) | ts.map(f, concurrency=conc, ordered=False)).collect())

    async def hand_pool() -> list[int]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for x in range(n):
            queue.put_nowait(x)
        out: list[int] = []

        async def worker() -> None:
            while True:
                try:
                    x = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                out.append(await f(x))

        async with asyncio.TaskGroup() as tg:
            for _ in range(conc):
                tg.create_task(worker())
        return sorted(out)

    async def aiostream_ordered() -> list[int]:
        xs = aiostream.stream.iterate(range(n)) | aiostream.pipe.map(aio_async(f), task_limit=conc)
        out: list[int] = []
        async with xs.stream() as it:
            out = [x async for x in it]
        return out

    async def streamable_ordered() -> list[int]:
        return [x async for x in streamable.stream(range(n)).map(f, concurrency=conc)]

    contenders = [
        Contender.coro("typedstream  map(f, concurrency=50)", typedstream_ordered),
        Contender.coro("typedstream  ... ordered=False", typedstream_unordered),
        Contender.coro("hand-written 50 workers + Queue (unordered)", hand_pool, reference=True),
        Contender.coro(f"aiostream {_version('aiostream')}  map(task_limit=50)", aiostream_ordered),
        Contender.coro(f"streamable {_version('streamable')}  map(concurrency=50)", streamable_ordered),
    ]
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=_show_list)
    sec = Section(
        "W2",
        f"W2  {n:,} calls of `await asyncio.sleep({delay})`, concurrency {conc}, ordered unless noted   "
        f"(best of {rounds}; ideal {ideal:.3f} s; efficiency = ideal / time)",
        rows,
    )
    for r in rows:
        r.note = r.note or f"efficiency {ideal / r.best:.3f}"
    eff = ideal / rows[0].best
    sec.data["typedstream_efficiency"] = eff
    sec.data["hand_pool_efficiency"] = ideal / rows[2].best
    sec.verdicts.append((f"typedstream efficiency >= 0.88: {eff:.3f}", eff >= 0.88))
    return sec


def w2b(n: int, rounds: int) -> Section:
    import aiostream
    import streamable

    slow, fast, conc = 1.0, 0.01, 8
    expected = list(range(n))
    ideal = max(slow, (n - 1) * fast / conc)  # the head is the critical path; the rest fit beside it

    async def f(x: int) -> int:
        await asyncio.sleep(slow if x == 0 else fast)
        return x

    async def typedstream_ordered() -> list[int]:
        return await (ts.source(range(n)) | ts.map(f, concurrency=conc)).collect()

    async def aiostream_ordered() -> list[int]:
        xs = aiostream.stream.iterate(range(n)) | aiostream.pipe.map(aio_async(f), task_limit=conc)
        out: list[int] = []
        async with xs.stream() as it:
            out = [x async for x in it]
        return out

    async def streamable_ordered() -> list[int]:
        return [x async for x in streamable.stream(range(n)).map(f, concurrency=conc)]

    contenders = [
        Contender.coro("typedstream  map(f, concurrency=8)", typedstream_ordered),
        Contender.coro(f"aiostream {_version('aiostream')}  map(task_limit=8)", aiostream_ordered),
        Contender.coro(f"streamable {_version('streamable')}  map(concurrency=8)", streamable_ordered),
    ]
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=_show_list)
    sec = Section(
        "W2b",
        f"W2b head-of-line: {n} calls, the first sleeps {slow} s and the rest {fast * 1000:.0f} ms, concurrency "
        f"{conc}, ordered   (best of {rounds}; ideal {ideal:.2f} s)",
        rows,
    )
    t = rows[0].best
    window = 32 * conc  # typedstream's default reorder window
    model = slow + max(0, n - window) * fast / conc
    sec.lines.append(
        f"model for typedstream's default window (32 x concurrency = {window}): the free slots fill the window "
        f"behind the head within {slow} s, the other {max(0, n - window)} calls follow: ~{model:.2f} s"
    )
    sec.data["typedstream_seconds"] = t
    sec.verdicts.append((f"typedstream total <= 1.30 s: {t:.3f} s", t <= 1.30))
    return sec


def _show_list(r: object) -> str:
    if isinstance(r, list):
        return f"{len(r):,} items"  # pyright: ignore[reportUnknownArgumentType]
    return repr(r)


# ----------------------------------------------------------------------------------------------- W3 (memory)


def w3_spawn(n: int) -> subprocess.CompletedProcess[str]:
    """Run the W3 child. Called before any other workload: see _w3_child.py on why (ru_maxrss is inherited)."""
    return subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "_w3_child.py"), str(n)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def w3(n: int, proc: subprocess.CompletedProcess[str]) -> Section:
    sec = Section("W3", f"W3  peak RSS: {n:,} elements through map -> batch(1000) -> count (range source, fresh process)")
    if proc.returncode != 0:
        sec.lines.append(f"child failed (exit {proc.returncode}):\n{textwrap.indent(proc.stderr, '    ')}")
        sec.verdicts.append(("peak RSS < 100 MB: child failed", False))
        sec.errors.append(f"the child process failed (exit {proc.returncode})")
        return sec
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    base_ru, peak_ru = float(out["baseline"]["ru_maxrss_mb"]), float(out["peak"]["ru_maxrss_mb"])
    hwm = out["peak"]["vmhwm_mb"]
    base_hwm = out["baseline"]["vmhwm_mb"]
    batches, secs = int(out["batches"]), float(out["seconds"])
    expected = -(-n // 1000)
    sec.data.update(out)
    sec.lines += [
        f"{'':28}{'ru_maxrss':>10}{'VmHWM':>10}",
        f"{'baseline after imports':28}{base_ru:>8.1f}MB{_mb(base_hwm):>10}",
        f"{'peak at the end':28}{peak_ru:>8.1f}MB{_mb(hwm):>10}",
        f"run time {secs:.2f} s ({n / secs / 1e6:.1f} M elements/s); {batches:,} batches counted (expected {expected:,})"
        + ("" if batches == expected else "   WRONG RESULT"),
    ]
    if batches != expected:
        sec.errors.append(f"counted {batches:,} batches, expected {expected:,}")
    peak = float(hwm) if hwm is not None else peak_ru
    sec.data["peak_mb"] = peak
    sec.verdicts.append((f"peak RSS < 100 MB: {peak:.1f} MB", peak < 100 and batches == expected))
    return sec


def _mb(x: object) -> str:
    return f"{x:.1f}MB" if isinstance(x, (int, float)) else "n/a"


# --------------------------------------------------------------------------------------- W4 (type checking)

_CHAIN_HEADER = '''\
"""Generated by benchmarks/run.py (W4): a {stages}-stage typed chain."""

from __future__ import annotations

from typedstream import {imports}


def inc(x: int) -> int:
    return x + 1


def is_small(x: int) -> bool:
    return x < 1_000_000


def show(x: int) -> str:
    return str(x)


def is_short(s: str) -> bool:
    return len(s) < 40


def parse(s: str) -> int:
    return int(s)


def halve(x: float) -> float:
    return x / 2


def positive(x: float) -> bool:
    return x >= 0


def whole(x: float) -> int:
    return round(x)

'''

# Each step: (stage text, element type after it). Maps and filters alternate; maps alternate between a typed
# def and an ``of=`` lambda; the element type moves int -> str -> int -> float -> int; some take/batch.
_CYCLE: list[tuple[str, str]] = [
    ("map(inc)", "int"),
    ("filter(lambda x: x % 7 != 3, of=int)", "int"),
    ("map(lambda x: x * 3, of=int)", "int"),
    ("filter(is_small)", "int"),
    ("map(show)", "str"),
    ("filter(lambda s: s != '', of=str)", "str"),
    ("map(lambda s: s + '0', of=str)", "str"),
    ("filter(is_short)", "str"),
    ("map(parse)", "int"),
    ("take(1_000_000)", "int"),
    ("map(lambda x: x * 0.5, of=int)", "float"),
    ("filter(positive)", "float"),
    ("map(halve)", "float"),
    ("filter(lambda y: y < 1e12, of=float)", "float"),
    ("map(whole)", "int"),
    ("batch(4)", "list[int]"),
    ("flatten()", "int"),
    ("filter(lambda x: x != 13, of=int)", "int"),
]


def chain_file(stages: int) -> str:
    steps: list[str] = []
    elem = "int"
    i = 0
    while len(steps) < stages:
        text, elem = _CYCLE[i % len(_CYCLE)]
        steps.append(text)
        i += 1
    # End on int so the annotation is the same for every length.
    while elem != "int":
        text, elem = _CYCLE[i % len(_CYCLE)]
        steps.append(text)
        i += 1
    body = "".join(f"\n    | {s}" for s in steps)
    return (
        _CHAIN_HEADER.format(stages=len(steps), imports=_imports(body))
        + f"\nchain: Source[int] = (\n    source(range(100)){body}\n)\n\n\n"
        + "async def main() -> int:\n    return await chain.into(count())\n"
    )


def _imports(body: str) -> str:
    used = [name for name in ("batch", "filter", "flatten", "map", "take") if f"{name}(" in body]
    return ", ".join(["Source", "count", *used, "source"])


def _one_stage_file() -> str:
    return (
        _CHAIN_HEADER.format(stages=1, imports="Source, count, map, source")
        + "\nchain: Source[int] = source(range(100)) | map(inc)\n\n\n"
        + "async def main() -> int:\n    return await chain.into(count())\n"
    )


def _tool(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    return shutil.which(name)


def _time_checker(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t0, proc.returncode, (proc.stdout + proc.stderr).strip()


# ------------------------------------------------------------------------------------- W5 (the batch facade)


@dataclass(frozen=True, slots=True)
class Acc:
    """A W5 state record."""

    x: int
    total: int = 0


def w5(n: int, rounds: int) -> Section:
    """The cost of the batch Pipeline facade: three sync steps over ``n`` inputs, run one input at a time as the
    batch loop did, and streamed; against the batch for loop with a try/except and retry per step."""

    def start(x: int) -> Acc:
        return Acc(x)

    def add(a: Acc) -> Acc:
        return Acc(a.x, a.total + a.x)

    def double(a: Acc) -> Acc:
        return Acc(a.x, a.total * 2)

    steps = (start, add, double)
    retry = ts.Retry(3, ts.Backoff.none())
    pipeline = ts.Pipeline("w5", int).step("start", start, retry=retry).step("add", add, retry=retry).step(
        "double", double, retry=retry
    )
    expected = sum(2 * x for x in range(n))

    def batch_loop() -> int:
        total = 0
        for x in range(n):
            state: object = x
            for step in steps:
                for attempt in range(3):
                    try:
                        state = step(state)  # type: ignore[arg-type]
                        break
                    except Exception:
                        if attempt == 2:
                            raise
            total += cast(Acc, state).total
        return total

    async def run_each() -> int:
        total = 0
        for x in range(n):
            total += (await pipeline.run(x)).state.total
        return total

    async def streamed() -> int:
        return sum(r.unwrap().total for r in await pipeline.stream(range(n)).collect())

    contenders = [
        Contender.sync("batch for loop (try/except + retry per step)", batch_loop),
        Contender.coro("Pipeline.run(x) per input", run_each),
        Contender.coro("Pipeline.stream(inputs)", streamed),
    ]
    rows = measure(contenders, rounds, check=lambda r: r == expected, show=lambda r: f"{r:,}" if isinstance(r, int) else repr(r))
    rows[0].reference = True
    sec = Section("W5", f"W5  batch Pipeline facade: {n:,} inputs through 3 sync steps with retry=   (best of {rounds})", rows)
    per = {r.name: r.best / n * 1e6 for r in rows}
    sec.lines.append("  per input: " + ", ".join(f"{name.split(' (')[0]} {us:.1f} us" for name, us in per.items()))
    sec.verdicts.append((f"Pipeline.stream per input: {rows[2].best / n * 1e6:.1f} us; run(x): {rows[1].best / n * 1e6:.0f} us", None))
    return sec


def w4(stages: int, rounds: int) -> Section:
    sec = Section(
        "W4",
        f"W4  cold type-check time of a {stages}-stage typed chain vs a 1-stage chain   "
        f"(best of {rounds}; separate processes, no cache)",
    )
    mypy, pyright = _tool("mypy"), _tool("pyright")
    with tempfile.TemporaryDirectory(prefix="typedstream-w4-") as tmp_name:
        tmp = Path(tmp_name)
        # typedstream is installed editable through an import hook, which static checkers do not follow:
        # give them a search path with just the package (a symlink) and the repo's stubs.
        lib = tmp / "lib"
        lib.mkdir()
        (lib / "typedstream").symlink_to(REPO / "typedstream", target_is_directory=True)
        search_path = [str(lib)] + ([str(REPO / "stubs")] if (REPO / "stubs").is_dir() else [])
        files = {"1-stage": tmp / "chain_1.py", f"{stages}-stage": tmp / f"chain_{stages}.py"}
        files["1-stage"].write_text(_one_stage_file())
        files[f"{stages}-stage"].write_text(chain_file(stages))
        (tmp / "pyrightconfig.json").write_text(
            json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11", "extraPaths": search_path})
        )
        env = dict(os.environ, MYPYPATH=os.pathsep.join(search_path))

        checkers: list[tuple[str, Callable[[Path, int], list[str]]]] = []
        if mypy is not None:
            # A fresh cache directory per run and --no-incremental: every run is cold.
            checkers.append(
                (
                    "mypy --strict",
                    lambda f, k: [mypy, "--strict", "--no-incremental", "--cache-dir", str(tmp / f"cache{k}"), f.name],
                )
            )
        else:
            sec.lines.append("mypy not found: skipped")
        if pyright is not None:
            checkers.append(
                ("pyright (strict)", lambda f, k: [pyright, "--pythonpath", sys.executable, f.name])
            )
        else:
            sec.lines.append("pyright not found: skipped")

        k = 0
        for label, cmd in checkers:
            best: dict[str, float] = {}
            for key, path in files.items():
                times: list[float] = []
                status, output = 0, ""
                for attempt in range(rounds + 1):  # the first run warms the OS file cache
                    k += 1
                    dt, status, output = _time_checker(cmd(path, k), tmp, env)
                    if attempt:
                        times.append(dt)
                best[key] = min(times)
                ok = status == 0
                sec.rows.append(
                    Row(
                        name=f"{label}  {key}",
                        times=times,
                        result="clean" if ok else f"exit {status}",
                        ok=ok,
                        note="" if ok else "TYPE ERRORS:\n" + textwrap.indent(output[-3000:], "      "),
                    )
                )
            diff = best[f"{stages}-stage"] - best["1-stage"]
            sec.data[f"{label.split()[0]}_extra_seconds"] = diff
            sec.lines.append(f"{label}: the {stages}-stage chain costs {diff:+.2f} s over the 1-stage chain")
            if label.startswith("mypy"):
                sec.verdicts.append((f"mypy: {stages} stages cost <= 1 s more than 1 stage: {diff:+.2f} s", diff <= 1.0))
            else:
                sec.verdicts.append((f"pyright: {diff:+.2f} s (report only)", None))
    return sec


# ----------------------------------------------------------------------------------------------- reporting


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


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
        mark = "info" if passed is None else ("PASS" if passed else "MISS")
        print(f"  [{mark}] {text}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated workloads: W1,W2,W2b,W3,W4,W5")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--rounds", type=int, help="timed rounds per contender (default 5, or 3 with --quick)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)

    quick: bool = args.quick
    rounds: int = args.rounds or (3 if quick else 5)
    if rounds < 1:
        parser.error("--rounds must be >= 1")
    w3_n = 1_000_000 if quick else 10_000_000
    workloads: dict[str, Callable[[], Section]] = {
        "W1": lambda: w1(100_000 if quick else 1_000_000, rounds),
        "W2": lambda: w2(500 if quick else 2_000, rounds),
        "W2b": lambda: w2b(400, min(rounds, 3)),
        "W3": lambda: w3(w3_n, w3_proc),
        "W4": lambda: w4(100, min(rounds, 3)),
        "W5": lambda: w5(2_000 if quick else 20_000, min(rounds, 3)),
    }
    chosen = list(workloads)
    if args.only:
        wanted = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        by_lower = {k.lower(): k for k in workloads}
        unknown = [w for w in wanted if w not in by_lower]
        if unknown:
            parser.error(f"unknown workload(s) {unknown}; choose from {', '.join(workloads)}")
        chosen = [by_lower[w] for w in wanted]

    print(
        f"typedstream benchmarks — Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs"
        + ("  [--quick]" if quick else "")
    )
    sys.stdout.flush()
    started = time.perf_counter()
    # W3's child runs first, while this process is still small: on Linux a child's ru_maxrss starts at its
    # parent's peak RSS (it survives fork and execve), which W1's data would otherwise inflate.
    w3_proc = w3_spawn(w3_n) if "W3" in chosen else subprocess.CompletedProcess[str]([], 0, "", "")

    sections: list[Section] = []
    for key in chosen:
        sec = workloads[key]()
        sections.append(sec)
        print_section(sec)
        sys.stdout.flush()

    print()
    print(f"Summary (total {time.perf_counter() - started:.0f} s)")
    for sec in sections:
        for text, passed in sec.verdicts:
            mark = "info" if passed is None else ("PASS" if passed else "MISS")
            print(f"  [{mark}] {sec.key:<4}{text}")
    wrong = [(sec.key, f"{r.name}: wrong result (see above)") for sec in sections for r in sec.rows if not r.ok]
    wrong += [(sec.key, e) for sec in sections for e in sec.errors]
    for key, text in wrong:
        print(f"  [FAIL] {key:<4}{text}")

    if args.json:
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
        Path(args.json).write_text(json.dumps(payload, indent=2))
    # A contender that computed the wrong result invalidates the comparison: fail loudly.
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
