"""``executor=``: the same stage semantics on a thread pool, a process pool and Dask (in-process cluster here; a
real multi-process cluster in ``test_executors_dask_cluster.py``).

The functions live in ``tests.support.remote_fns``: a process pool imports them by reference.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.result import Failure, Success

import typedstream as ts
from tests.support import remote_fns as fns

distributed = pytest.importorskip("distributed")

EXECUTORS = ("thread", "process", "dask")
ENCODED = ("process", "dask")  # elements and results travel pickled


@pytest.fixture(scope="module")
def pools() -> Iterator[dict[str, Any]]:
    with (
        cf.ThreadPoolExecutor(4) as threads,
        ts.ProcessPool(2) as processes,
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        yield {"thread": threads, "process": processes, "dask": client}


@pytest.fixture(params=EXECUTORS)
def executor(request: pytest.FixtureRequest, pools: dict[str, Any]) -> Any:
    return pools[request.param]


def model(op: str, xs: list[int]) -> list[int]:
    if op == "map":
        return [fns.square(x) for x in xs]
    if op == "filter":
        return [x for x in xs if fns.is_even(x)]
    if op == "flat_map":
        return [y for x in xs for y in fns.repeat(x)]
    return list(xs)  # tap


def stage(op: str, **options: Any) -> ts.Stream[int, int]:
    if op == "map":
        return ts.map(fns.square, **options)
    if op == "filter":
        return ts.filter(fns.is_even, of=int, **options)
    if op == "flat_map":
        return ts.flat_map(fns.repeat, **options)
    return ts.tap(fns.square, of=int, **options)


@pytest.mark.parametrize("name", EXECUTORS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    xs=st.lists(st.integers(-50, 50), max_size=40),
    op=st.sampled_from(("map", "filter", "flat_map", "tap")),
    chunk_size=st.sampled_from((None, 1, 3)),
    concurrency=st.sampled_from((None, 1, 3)),
    ordered=st.booleans(),
)
async def test_an_executor_stage_matches_the_list_model(
    pools: dict[str, Any], name: str, xs: list[int], op: str, chunk_size: int | None, concurrency: int | None, ordered: bool
) -> None:
    options: dict[str, Any] = {"executor": pools[name], "chunk_size": chunk_size, "ordered": ordered}
    if concurrency is not None:
        options["concurrency"] = concurrency
    got = await (ts.source(xs) | stage(op, **options)).collect()
    want = model(op, xs)
    assert (got if ordered else sorted(got)) == (want if ordered else sorted(want))


async def test_a_failing_element_is_retried_alone_and_its_chunk_is_kept(executor: Any, tmp_path: Path) -> None:
    items = [(str(tmp_path), x) for x in range(20)]
    reports: list[ts.RunReport] = []
    retry = ts.Retry(2, backoff=ts.Backoff.none(), retry_on=(ConnectionError,))
    out = await (ts.source(items) | ts.map(fns.flaky, executor=executor, chunk_size=5, retry=retry)).collect(
        on_report=reports.append
    )
    assert out == list(range(20))
    s = reports[0].stage("flaky")
    assert (s.items_in, s.items_out, s.retried, s.failed) == (20, 20, 20, 0)


async def test_skip_dead_letters_each_failed_element_and_delivers_the_rest(executor: Any) -> None:
    letters: list[ts.DeadLetter[int]] = []
    reports: list[ts.RunReport] = []
    src = ts.source(range(30)) | ts.map(
        fns.bad_if_3_mod_7, executor=executor, on_error="skip", dead_letter=ts.for_each(letters.append)
    )
    out = await src.collect(on_report=reports.append)
    bad = [x for x in range(30) if x % 7 == 3]
    assert out == [x for x in range(30) if x not in bad]
    assert sorted(d.element for d in letters) == bad  # letters come as elements fail, from concurrent tasks
    assert all(type(d.exception) is ValueError and str(d.exception) == f"bad {d.element}" for d in letters)
    s = reports[0].stage("bad_if_3_mod_7")
    assert (s.items_in, s.items_out, s.skipped, s.failed) == (30, 30 - len(bad), len(bad), 0)


async def test_a_remote_exception_surfaces_as_its_own_type_with_the_stage_note(executor: Any, pools: dict[str, Any]) -> None:
    src = ts.source(range(10)) | ts.map(fns.bad_if_3_mod_7, executor=executor)
    with pytest.raises(ValueError, match="bad 3") as info:
        await src.collect()
    notes = getattr(info.value, "__notes__", [])
    assert "typedstream: stage 'bad_if_3_mod_7' failed on element 3" in notes
    if executor is not pools["thread"]:
        assert any(n.startswith("typedstream: raised remotely, at") and "remote_fns.py" in n for n in notes), notes


async def test_try_map_on_an_executor_gives_a_failure_per_failed_element(executor: Any) -> None:
    out = await (ts.source(range(8)) | ts.try_map(fns.bad_if_3_mod_7, catch=ValueError, executor=executor)).collect()
    assert [type(r) for r in out] == [Success] * 3 + [Failure] + [Success] * 4
    assert str(out[3].failure()) == "bad 3"


@pytest.mark.parametrize("name", ENCODED)
async def test_an_element_or_result_that_cannot_be_pickled_fails_alone(pools: dict[str, Any], name: str) -> None:
    letters: list[ts.DeadLetter[int]] = []
    pool = pools[name]
    src = ts.source(range(5)) | ts.map(
        fns.unpicklable_result, executor=pool, on_error="skip", dead_letter=ts.for_each(letters.append)
    )
    assert await src.collect() == [0, 1, 3, 4]
    assert len(letters) == 1 and letters[0].element == 2 and "could not be sent back" in str(letters[0].exception)
    refused: list[ts.DeadLetter[object]] = []
    items: list[object] = [1, lambda: 2, 3]  # pickle refuses a lambda: it is never sent
    src2 = ts.source(items) | ts.map(repr, executor=pool, on_error="skip", dead_letter=ts.for_each(refused.append))
    assert await src2.collect() == ["1", "3"]
    assert len(refused) == 1 and "could not be sent to the executor" in str(refused[0].exception)


def started_and_ended(where: Path) -> tuple[set[str], set[str]]:
    names = {p.name for p in where.iterdir()}
    return {n[6:] for n in names if n.startswith("start-")}, {n[4:] for n in names if n.startswith("end-")}


@pytest.mark.parametrize("name", EXECUTORS)
@pytest.mark.parametrize("how", ("take", "break", "cancel"))
async def test_early_exit_leaves_no_call_running_and_starts_few_beyond_demand(
    pools: dict[str, Any], name: str, how: str, tmp_path: Path
) -> None:
    items = [(str(tmp_path), x) for x in range(200)]
    src = ts.source(items) | ts.map(fns.marked, executor=pools[name], concurrency=2, chunk_size=3)
    if how == "take":
        assert await (src | ts.take(4)).collect() == [0, 1, 2, 3]
    elif how == "break":
        async with src.stream() as stream:
            async for x in stream:
                if x == 3:
                    break
    else:
        first = asyncio.Event()

        async def consume() -> None:
            async with src.stream() as stream:
                async for _ in stream:
                    first.set()

        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    started, ended = started_and_ended(tmp_path)
    if name != "dask":  # Dask forgets a cancelled task but cannot stop a call already running on a worker
        assert started == ended, "a call the run started was still running after it returned"
    assert len(started) <= 4 + 2 * 3 * 2, started  # demand, plus concurrency x chunk_size (x2: a chunk in flight per slot and one queued)


async def test_executor_with_an_async_function_is_a_build_time_error(executor: Any) -> None:
    async def fetch(x: int) -> int:
        return x

    with pytest.raises(TypeError, match=r"stage 'fetch': executor= runs a plain function .* give it concurrency= instead"):
        ts.map(fetch, executor=executor)


def test_a_function_a_process_pool_cannot_receive_is_a_build_time_error(pools: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=r"stage 'square_it': the function cannot be sent to worker processes .* module level"):
        ts.map(lambda x: x * x, of=int, executor=pools["process"], name="square_it")

    def local(x: int) -> int:
        return x

    with pytest.raises(TypeError, match="stage 'local': the function cannot be sent"):
        ts.map(local, executor=pools["process"])
    ts.map(lambda x: x * x, of=int, executor=pools["dask"])  # Dask sends lambdas (cloudpickle)
    ts.map(local, executor=pools["thread"])


def test_bad_executor_options_are_named() -> None:
    with pytest.raises(ValueError, match="stage 'square': chunk_size= sizes the remote tasks of executor=; it needs executor="):
        ts.map(fns.square, chunk_size=10)
    with pytest.raises(TypeError, match="stage 'square': executor must be a concurrent.futures.Executor .* got str"):
        ts.map(fns.square, executor="processes")  # type: ignore[call-overload]
    with cf.ThreadPoolExecutor(1) as ex, pytest.raises(ValueError, match="stage 'square': chunk_size must be >= 1, got 0"):
        ts.map(fns.square, executor=ex, chunk_size=0)


def run_dying(make_pool: Callable[[], cf.Executor], **options: Any) -> tuple[list[int], list[ts.DeadLetter[int]], ts.RunReport]:
    letters: list[ts.DeadLetter[int]] = []
    reports: list[ts.RunReport] = []

    async def main() -> list[int]:
        with make_pool() as pool:
            src = ts.source(range(40)) | ts.map(fns.dies_on_13, executor=pool, chunk_size=8, dead_letter=None, **options)
            if options.get("on_error") == "skip":
                src = ts.source(range(40)) | ts.map(
                    fns.dies_on_13, executor=pool, chunk_size=8, dead_letter=ts.for_each(letters.append), **options
                )
            return await src.collect(on_report=reports.append)

    return asyncio.run(main()), letters, reports[0] if reports else ts.RunReport(0, 0.0)


def test_an_element_that_kills_its_worker_is_isolated_and_dead_lettered() -> None:
    out, letters, report = run_dying(lambda: ts.ProcessPool(2), on_error="skip")
    assert out == [x for x in range(40) if x != 13]
    assert [d.element for d in letters] == [13]
    assert isinstance(letters[0].exception, BrokenProcessPool)
    assert any("also when it ran alone (its worker died" in n for n in getattr(letters[0].exception, "__notes__", []))
    s = report.stage("dies_on_13")
    assert (s.items_in, s.items_out, s.skipped, s.failed) == (40, 39, 1, 0)


def test_a_killed_worker_fails_the_run_with_the_stage_and_element_named() -> None:
    with pytest.raises(BrokenProcessPool) as info:
        run_dying(lambda: ts.ProcessPool(2))
    assert "typedstream: stage 'dies_on_13' failed on element 13" in info.value.__notes__


def test_a_plain_process_pool_executor_broken_by_a_dead_worker_says_what_to_use() -> None:
    with pytest.raises(BrokenProcessPool) as info:
        run_dying(lambda: cf.ProcessPoolExecutor(2), on_error="skip")
    notes = "\n".join(info.value.__notes__)
    assert "typedstream: stage 'dies_on_13' failed" in notes and "typedstream.ProcessPool replaces its broken pool" in notes


async def test_the_report_shows_the_executor_busy_and_dispatch_times(pools: dict[str, Any]) -> None:
    reports: list[ts.RunReport] = []
    await (ts.source(range(50)) | ts.map(fns.spin, executor=pools["process"])).collect(on_report=reports.append)
    s = reports[0].stage("spin")
    assert s.executor == "process(2)" and s.concurrency == 4
    assert s.latency is not None and s.latency.count == 50
    assert 50 * 0.0015 < s.busy < 50 * 0.01  # the calls' time on the workers
    assert s.dispatch > 0
    assert "spin    map x4 @process(2)" in reports[0].table(plain=True)
    assert "@process(2)" in ts.graph(ts.source(range(3)) | ts.map(fns.spin, executor=pools["process"]))
    assert reports[0].to_dict()["stages"][1]["executor"] == "process(2)"


async def test_pipeline_steps_and_list_steps_take_an_executor(pools: dict[str, Any]) -> None:
    p = (
        ts.Pipeline("p", int)
        .step("square", fns.square, executor=pools["process"])
        .each("spread", items=lambda s: range(s), f=fns.square, into=lambda s, ys: sum(ys), executor=pools["thread"])
    )
    result = await p.run(3)
    assert result.outcome == Success(sum(x * x for x in range(9)))


def test_several_elements_that_kill_workers_are_each_isolated_and_no_other_is_lost() -> None:
    letters: list[ts.DeadLetter[int]] = []

    async def main() -> list[int]:
        with ts.ProcessPool(2) as pool:
            src = ts.source(range(60)) | ts.map(
                fns.dies_on_multiples_of_9, executor=pool, chunk_size=5, concurrency=4, on_error="skip",
                dead_letter=ts.for_each(letters.append),
            )
            return await src.collect()

    killers = [9, 18, 27, 36, 45, 54]
    assert asyncio.run(main()) == [x for x in range(60) if x not in killers]
    assert sorted(d.element for d in letters) == killers


def test_an_element_that_kills_its_worker_is_retried_under_the_stage_retry_policy() -> None:
    out, letters, report = run_dying(
        lambda: ts.ProcessPool(2), on_error="skip", retry=ts.Retry(2, backoff=ts.Backoff.none())
    )
    assert out == [x for x in range(40) if x != 13]
    assert [(d.element, d.attempts) for d in letters] == [(13, 2)]
    assert report.stage("dies_on_13").retried == 1


async def test_consecutive_stages_on_one_executor_run_in_the_same_task(pools: dict[str, Any]) -> None:
    pool = pools["process"]
    reports: list[ts.RunReport] = []
    src = ts.source(range(300)) | ts.map(fns.with_pid, executor=pool) | ts.map(fns.same_pid, executor=pool)
    assert await src.collect(on_report=reports.append) == [True] * 300
    assert [(s.items_in, s.items_out) for s in reports[0].stages[1:]] == [(300, 300), (300, 300)]


@pytest.mark.parametrize("name", EXECUTORS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    xs=st.lists(st.integers(-30, 30), max_size=40),
    ops=st.lists(st.sampled_from(("map", "filter", "flat_map", "tap", "skip")), min_size=1, max_size=4),
    chunk_size=st.sampled_from((None, 2)),
    ordered=st.booleans(),
)
async def test_a_chain_of_executor_stages_matches_the_list_model_and_counts_balance(
    pools: dict[str, Any], name: str, xs: list[int], ops: list[str], chunk_size: int | None, ordered: bool
) -> None:
    options: dict[str, Any] = {"executor": pools[name], "chunk_size": chunk_size, "ordered": ordered, "concurrency": 2}
    src: ts.Source[int] = ts.source(xs)
    want = list(xs)
    for op in ops:
        if op == "skip":  # a stage that fails on some elements and skips them
            src = src | ts.map(fns.half_if_even, on_error="skip", **options)
            want = [x // 2 for x in want if x % 5 != 4]
        else:
            src = src | stage(op, **options)
            want = model(op, want)
    reports: list[ts.RunReport] = []
    got = await src.collect(on_report=reports.append)
    assert (got if ordered else sorted(got)) == (want if ordered else sorted(want))
    for s in reports[0].stages[1:]:
        if s.kind != "flat_map":
            assert s.items_in == s.items_out + s.filtered + s.skipped + s.failed, s
