"""executor=: a stage's types are the same on an executor; the options are checked like the others."""

from __future__ import annotations

import concurrent.futures as cf
from typing import assert_type

import distributed
from returns.result import Result

import typedstream as ts

from .elements import Row, parse, show


def executors(client: distributed.Client, pool: ts.ProcessPool, threads: cf.ThreadPoolExecutor) -> None:
    lines = ts.source(["a,1"])
    assert_type(lines | ts.map(parse, executor=pool), ts.Source[Row])
    assert_type(lines | ts.map(parse, executor=client, chunk_size=100, concurrency=8), ts.Source[Row])
    assert_type(lines.map(parse, executor=threads).map(lambda r: r.id), ts.Source[int])
    assert_type(ts.source(range(3)).filter(lambda x: x > 0, executor=cf.ProcessPoolExecutor()), ts.Source[int])
    assert_type(ts.map(show, executor=pool, on_error="skip"), ts.Stream[int, str])
    assert_type(ts.try_map(parse, catch=ValueError, executor=client), ts.Stream[str, Result[Row, ValueError]])
    p = ts.Pipeline("p", str).step("parse", parse, executor=pool)
    assert_type(p, ts.Pipeline[str, Row])


async def executor_reports_and_list_steps(pool: ts.ProcessPool, threads: cf.ThreadPoolExecutor) -> None:
    report = await (ts.source(["a,1"]) | ts.map(parse, executor=pool)).run()
    assert_type(report.stages[1].executor, str | None)
    assert_type(report.stages[1].dispatch, float)
    assert_type(report.to_dict()["stages"][1]["executor"], str | None)
    p = ts.Pipeline("p", str).each(
        "rows", items=lambda s: s.split(";"), f=parse, into=lambda s, rows: len(rows), executor=threads
    )
    assert_type(p, ts.Pipeline[str, int])
    assert_type(pool.submit(show, 3), cf.Future[str])
