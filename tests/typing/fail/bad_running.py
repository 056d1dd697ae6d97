"""Running a bare Stream (it has no input) and misusing run results."""

from __future__ import annotations

import typedstream as ts


def show(x: int) -> str:
    return str(x)


async def bare_stream() -> None:
    stage = ts.map(show)
    _a = await stage.collect()  # E: a Stream cannot run: no collect
    _b = await stage.into(ts.to_list())  # E: a Stream cannot run: no into
    _c = await stage.run()  # E: a Stream cannot run: no run
    async for _x in stage:  # E: a Stream is not async iterable
        pass
    async with stage.stream() as _it:  # E: a Stream has no stream()
        pass
    _d = await (ts.map(show) | ts.take(2)).collect()  # E: still a Stream
    _e = await (ts.take(2) | ts.map(show)).collect()  # E: a stage object in front gives a Stream


async def results() -> None:
    ints = ts.source(range(3))
    _a: list[str] = await ints.collect()  # E: collect gives list[int]
    _b: str = await ints.into(ts.count())  # E: count gives int
    _c: int = (await ints.run()).items_out  # E: RunReport has no items_out
    async for x in ints:
        _d: str = x  # E: elements are int
    async with ints.stream() as it:
        _e: str = await anext(it)  # E: elements are int
    _f = ints.collect()[0]  # E: collect must be awaited
    for _y in ints:  # E: a Source is async iterable only
        pass
