"""Per-stage metrics, the run report and live progress (docs/design.md, Metrics): exact counts, timing, progress
snapshots and the report's shape. Rule 22 (each stage reports once) is in
tests/engine/test_rule22_each_stage_reports_once.py."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import typedstream as ts
from typedstream._engine.metrics import Histogram

from tests.support.errors import Boom
from tests.support.functions import even, inc, nap
from tests.support.sources import FailsFirst


def broken_progress(report: ts.RunReport) -> None:
    raise Boom("progress")


# ------------------------------------------------------------------------------------------------ report hooks


async def test_a_report_hook_failure_is_the_run_failure() -> None:
    def bad(report: ts.RunReport) -> None:
        raise Boom("hook")

    with pytest.raises(Boom, match="hook") as info:
        await ts.source([1]).collect(on_report=bad)
    assert any("report callback" in n for n in getattr(info.value, "__notes__", []))


# ----------------------------------------------------------------------------------------- exact counts


async def test_counts_of_a_known_pipeline() -> None:
    report = await (
        ts.source(range(100))
        .map(inc)  # 1..100
        .filter(even)  # 50 even numbers
        .distinct(lambda x: x % 10)  # 2, 4, 6, 8, 10: the first of each last digit
        .flat_map(lambda x: [x, x])  # ten
        .take(7)
    ).run()
    got = {s.name: (s.items_in, s.items_out, s.filtered) for s in report.stages}
    t_in, t_out, t_filtered = got["take"]
    assert report.items == t_out == 7 and t_in == t_out + t_filtered  # elements beyond the limit are filtered
    # take() stops the run lazily: 7 outputs need 4 distinct evens (2, 4, 6, 8), i.e. inputs 0..7; the source
    # had produced at most one chunk more (chunks of 1, 2, 4, 8, ...)
    assert 8 <= got["source"][1] <= 15
    assert got["inc"][0] == got["source"][1]


async def test_counts_of_a_known_pipeline_without_early_stop() -> None:
    report = await (
        ts.source(range(100)).map(inc).filter(even).distinct(lambda x: x % 10).flat_map(lambda x: [x, x]).batch(3)
    ).run()
    got = {s.name: (s.items_in, s.items_out, s.filtered) for s in report.stages}
    assert got == {
        "source": (0, 100, 0),
        "inc": (100, 100, 0),
        "even": (100, 50, 50),
        "distinct": (50, 5, 45),
        "flat_map": (5, 10, 0),
        "batch": (10, 4, 0),
    }
    assert report.items == 4 and report.items_in == 100 and report.filtered == 95


async def test_names_are_unique_within_a_run() -> None:
    report = await ts.source([1]).map(inc).map(inc, name="inc#2").map(inc).run()
    assert [s.name for s in report.stages] == ["source", "inc", "inc#2", "inc#3"]


# ------------------------------------------------------------------------------------------------ timing


async def test_busy_time_and_latency_of_a_stage_sleeping_50_ms_per_element() -> None:
    report = await ts.source(range(6)).map(nap).run()
    s = report.stage("nap")
    assert 0.30 <= s.busy < 0.30 + 0.06  # six 50 ms sleeps; a little scheduling overhead each
    assert s.latency is not None and s.latency.count == 6
    assert 0.05 <= s.latency.p50 <= s.latency.p95 <= s.latency.max < 0.06
    assert s.latency.mean == pytest.approx(s.busy / 6)
    assert report.wall_time >= s.busy


async def test_busy_time_is_summed_over_concurrent_calls() -> None:
    report = await ts.source(range(8)).map(nap, concurrency=8).run()
    s = report.stage("nap")
    assert s.concurrency == 8
    assert 0.40 <= s.busy < 0.40 + 0.08
    assert report.wall_time < 0.05 * 3  # all eight at once


async def test_waits_upstream_and_downstream() -> None:
    consumed = 0

    async def drink(x: int) -> None:
        nonlocal consumed
        await asyncio.sleep(0.02)
        consumed += 1

    report_box: list[ts.RunReport] = []
    await ts.source(range(5)).map(nap).map(inc).into(ts.for_each(drink), on_report=report_box.append)
    [report] = report_box
    # inc waits for nap, which sleeps 50 ms per element
    assert report.stage("inc").wait_upstream >= 0.05 * 5 * 0.9
    # inc's outputs wait for the slow sink (20 ms each, but the last one is taken at the end)
    assert report.stage("inc").wait_downstream >= 0.02 * 4 * 0.9
    assert consumed == 5


async def test_a_fused_stage_is_timed_per_chunk_and_has_no_latency() -> None:
    def work(x: int) -> int:
        return sum(range(2000)) + x

    report = await ts.source(range(2000)).map(work).run()
    s = report.stage("work")
    assert s.latency is None
    assert 0 < s.busy <= report.wall_time


async def test_a_source_busy_time_is_the_time_spent_producing() -> None:
    async def slow_source() -> AsyncIterator[int]:
        for i in range(4):
            await asyncio.sleep(0.02)
            yield i

    report = await ts.source(slow_source()).map(inc).run()
    assert report.stage("source").busy >= 0.08 * 0.9


# --------------------------------------------------------------------------------------------- progress


async def test_on_progress_delivers_running_snapshots() -> None:
    snapshots: list[ts.RunReport] = []
    await ts.source(range(12)).map(nap).run(on_progress=snapshots.append, interval=0.1)
    assert 3 <= len(snapshots) <= 7  # 0.6 s of work, one every 0.1 s
    assert all(s.outcome == "running" for s in snapshots)
    done = [s.stage("nap").items_out for s in snapshots]
    assert done == sorted(done) and done[-1] < 12


async def test_a_failing_progress_callback_fails_the_run() -> None:
    reports: list[ts.RunReport] = []
    with pytest.raises(Boom, match="progress"):
        await ts.source(range(100)).map(nap).collect(on_progress=broken_progress, interval=0.01, on_report=reports.append)
    assert [r.outcome for r in reports] == ["failed"]
    with pytest.raises(Boom, match="progress"):
        async with ts.source(range(100)).map(nap).stream(on_progress=broken_progress, interval=0.01) as it:
            async for _ in it:
                pass


async def test_a_cancelled_run_with_progress_stays_cancelled() -> None:
    seen: list[ts.RunReport] = []
    task = asyncio.create_task(ts.source(range(100)).map(nap).run(on_progress=seen.append, interval=0.01))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen


async def test_progress_bar_shows_every_stage(capsys: pytest.CaptureFixture[str]) -> None:
    await ts.source(range(5)).map(nap, name="fetch").map(inc).run(progress=True, interval=0.05)
    err = capsys.readouterr().err
    assert "fetch" in err and "inc" in err and "source" in err


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"interval": 0}, ValueError),
        ({"interval": -1.0}, ValueError),
        ({"interval": math.nan}, ValueError),
        ({"interval": True}, ValueError),
        ({"on_report": 3}, TypeError),
        ({"on_progress": "x"}, TypeError),
        ({"on_reprt": print}, TypeError),
    ],
)
async def test_bad_run_options_are_rejected_before_running(options: dict[str, object], error: type[Exception]) -> None:
    called: list[int] = []
    with pytest.raises(error, match="run option"):
        await ts.source([1]).tap(called.append).run(**options)  # type: ignore[arg-type]
    assert called == []


# ----------------------------------------------------------------------------------------- report shape


async def test_to_dict_is_json_ready_and_matches_the_report() -> None:
    report = await ts.source(range(10)).map(nap, concurrency=5).filter(even).run()
    d = json.loads(json.dumps(report.to_dict()))
    assert d["outcome"] == "completed" and d["items"] == 5 == report.items
    assert [s["name"] for s in d["stages"]] == ["source", "nap", "even"]
    assert d["stages"][1]["latency"]["count"] == 10
    assert d["stages"][2]["latency"] is None
    assert d["filtered"] == 5


async def test_table_lists_every_stage_plain_and_rich() -> None:
    report = await ts.source(range(10)).map(inc).filter(even).run()
    plain = report.table(plain=True)
    lines = plain.splitlines()
    assert lines[0].startswith("completed: 5 items delivered, 10 read, in ")
    assert [line.split()[0] for line in lines[3:-1]] == ["source", "inc", "even"]
    assert lines[-1].startswith("busy: in user code, per worker")  # the legend of the shares
    fancy = report.table()
    for name in ("source", "inc", "even"):
        assert name in fancy


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize("width", [100, 80, 60])
async def test_the_table_fits_its_width_leaving_out_the_least_telling_columns(width: int, plain: bool) -> None:
    """The demo's table was 137 columns wide; it must fit 100 and degrade at 80."""

    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x

    report = await (
        ts.source(range(30_000)).map(fetch, concurrency=32, name="price", on_error="skip").batch(500).run()
    )
    text = report.table(width=width, plain=plain)
    assert max(map(len, text.splitlines())) <= width
    header = next(line for line in text.splitlines() if line.split()[:1] == ["stage"])
    assert header.split()[:4] == ["stage", "kind", "in", "out"] or width < 80
    assert ("p50" in header) == (width >= 100) and "30,000" in text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-7, max_value=100.0), min_size=1, max_size=300), st.sampled_from([0.5, 0.95, 1.0]))
def test_histogram_percentiles_are_within_the_bucket_error(xs: list[float], q: float) -> None:
    h = Histogram()
    for x in xs:
        h.add(x)
    exact = sorted(xs)[max(1, math.ceil(q * len(xs))) - 1]
    got = h.percentile(q)
    assert exact <= got <= exact * (1 + 1 / 32) + 1e-12
    assert got <= h.max == max(xs) and h.count == len(xs)


def test_histogram_of_zero_durations() -> None:
    h = Histogram()
    h.add(0.0)
    assert h.percentile(0.5) == 0.0 == h.max


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_retry_waits_count_in_latency_but_not_in_busy_time(concurrency: int) -> None:
    policy = ts.Retry(3, ts.Backoff.constant(0.05))
    report = await ts.source([1]).map(FailsFirst(2).asynchronous, retry=policy, concurrency=concurrency, name="flaky").run()
    s = report.stage("flaky")
    assert s.retried == 2
    assert s.busy < 0.02  # three instant calls
    assert s.latency is not None and s.latency.max >= 0.1  # the element waited twice


async def test_retry_waits_are_not_busy_time_in_a_fused_stage_either() -> None:
    report = await ts.source([1]).map(FailsFirst(2), retry=ts.Retry(3, ts.Backoff.constant(0.05))).run()
    assert report.stage("flaky").busy < 0.02 and report.wall_time >= 0.1


# ------------------------------------------------------------------ edge cases found in review (regressions)


async def test_a_cancellation_while_the_run_closes_still_reports_and_closes_everything() -> None:
    reports: list[ts.RunReport] = []
    owner: list[asyncio.Task[int]] = []

    async def first_then_cancelled(chunks: AsyncIterator[list[int]]) -> int:
        async for chunk in chunks:
            asyncio.get_running_loop().call_soon(owner[0].cancel)  # lands while the run is being closed
            return chunk[0]
        return -1

    async def nap_short(x: int) -> int:
        await asyncio.sleep(0.01)
        return x

    for progress in (False, True):
        options: ts.RunOptions = {"on_report": reports.append}
        if progress:
            options.update({"on_progress": lambda r: None, "interval": 10.0})
        src = ts.source(range(1000)).map(nap_short, concurrency=4)
        owner[:] = [asyncio.create_task(src.into(ts.Sink(first_then_cancelled, name="f"), **options))]
        with pytest.raises(asyncio.CancelledError):
            await owner[0]
        # the leak check (conftest) fails the test if a worker or the watcher outlived the run
    assert len(reports) == 2


async def test_a_progress_error_while_iteration_waits_upstream_ends_the_run() -> None:
    async def stuck() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(3600)
        yield 2

    async def consume() -> None:
        async with ts.source(stuck()).stream(on_progress=broken_progress, interval=0.05) as it:
            async for _ in it:
                pass

    with pytest.raises(Boom, match="progress"):
        await asyncio.wait_for(consume(), 2.0)


async def test_a_progress_error_just_before_iteration_ends_is_not_swallowed() -> None:
    async def slow_end() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(0.3)

    reports: list[ts.RunReport] = []
    with pytest.raises(Boom, match="progress"):
        async with ts.source(slow_end()).stream(on_progress=broken_progress, interval=0.05, on_report=reports.append) as it:
            async for _ in it:
                pass
    assert [r.outcome for r in reports] == ["failed"]


async def test_busy_time_is_never_negative_while_retrying() -> None:
    snapshots: list[float] = []
    policy = ts.Retry(2, ts.Backoff.constant(0.3))
    await ts.source([1]).map(FailsFirst(1).asynchronous, retry=policy, name="flaky").run(
        on_progress=lambda r: snapshots.append(r.stage("flaky").busy), interval=0.05
    )
    assert snapshots and min(snapshots) >= 0


async def test_items_counts_what_iteration_delivered() -> None:
    reports: list[ts.RunReport] = []
    async with ts.source(range(1000)).map(inc).stream(on_report=reports.append) as it:
        async for x in it:
            if x == 5:
                break
    assert reports[0].items == 5


async def test_a_stream_block_that_never_pulls_reports_once_and_checks_its_options() -> None:
    reports: list[ts.RunReport] = []
    async with ts.source(range(3)).map(inc).stream(on_report=reports.append):
        pass
    [report] = reports
    assert report.outcome == "completed" and report.items == 0
    assert [s.name for s in report.stages] == ["source", "inc"]
    with pytest.raises(ValueError, match="interval"):
        async with ts.source(range(3)).stream(interval=-1):
            pass


async def test_a_pool_failure_note_names_the_stage_as_the_report_does() -> None:
    async def fail(x: int) -> int:
        await asyncio.sleep(0)
        raise Boom(x)

    with pytest.raises(Boom) as info:
        await ts.source(range(4)).map(inc, name="f").map(fail, concurrency=4, name="f").collect()
    assert any("stage 'f#2'" in note for note in getattr(info.value, "__notes__", []))
