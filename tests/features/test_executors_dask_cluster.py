"""``executor=`` on a real Dask cluster: two worker processes started by ``LocalCluster``, each element's
function imported by reference on the workers, a worker killed by an element."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import typedstream as ts
from tests.support import remote_fns as fns

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    # A task that was running on a dying worker is not tried on another: the stage isolates and retries it.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


async def test_a_cluster_stage_matches_the_list_model_in_order(client: Any) -> None:
    xs = list(range(-100, 400))
    reports: list[ts.RunReport] = []
    out = await (ts.source(xs) | ts.map(fns.square, executor=client) | ts.filter(fns.is_even, executor=client)).collect(
        on_report=reports.append
    )
    assert out == [x * x for x in xs if x * x % 2 == 0]
    assert reports[0].stage("square").executor == "dask(2)"


async def test_an_asynchronous_client_on_the_runs_loop(client: Any) -> None:
    async with distributed.Client(client.scheduler.address, asynchronous=True) as ac:
        letters: list[ts.DeadLetter[int]] = []
        src = ts.source(range(50)) | ts.map(
            fns.bad_if_3_mod_7, executor=ac, on_error="skip", dead_letter=ts.for_each(letters.append)
        )
        assert await src.collect() == [x for x in range(50) if x % 7 != 3]
        assert sorted(d.element for d in letters) == [x for x in range(50) if x % 7 == 3]


def test_an_element_that_kills_a_cluster_worker_is_isolated(client: Any) -> None:
    letters: list[ts.DeadLetter[int]] = []

    async def main() -> list[int]:
        src = ts.source(range(30)) | ts.map(
            fns.dies_on_13, executor=client, chunk_size=2, on_error="skip", dead_letter=ts.for_each(letters.append)
        )
        return await asyncio.wait_for(src.collect(), 120)

    assert asyncio.run(main()) == [x for x in range(30) if x != 13]
    assert [d.element for d in letters] == [13]
    assert type(letters[0].exception).__name__ == "KilledWorker"
