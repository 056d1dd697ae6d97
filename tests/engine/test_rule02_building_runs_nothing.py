"""Rule 2: Building runs nothing. Composing stages runs no user code and does not even ``iter()`` a source's
iterable: a pipeline is a blueprint until a run pulls it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterator

import typedstream as ts


async def test_rule02_building_runs_no_user_code() -> None:
    calls: list[str] = []

    def gen() -> Iterator[int]:
        calls.append("gen started")
        yield 1

    async def agen() -> AsyncIterator[int]:
        calls.append("agen started")
        yield 2

    class Lazy:
        def __iter__(self) -> Iterator[int]:
            calls.append("iter")
            return iter([3])

    def f(x: int) -> int:
        calls.append("f")
        return x

    async def af(x: int) -> int:
        calls.append("af")
        return x

    def factory() -> int:
        calls.append("factory")
        return 0

    def step(s: int, x: int) -> tuple[int, int]:
        calls.append("step")
        return s, x

    def key(x: int) -> int:
        calls.append("key")
        return x

    def acc(a: int, x: int) -> int:
        calls.append("acc")
        return a + x

    def pred(x: int) -> bool:
        calls.append("pred")
        return True

    def fm(x: int) -> list[int]:
        calls.append("fm")
        return [x]

    built = (
        ts.source(gen())
        .merge(ts.source(agen()), ts.source(Lazy()))
        .map(f)
        .map(af, concurrency=3)
        .filter(pred)
        .flat_map(fm)
        .tap(f)
        .take_while(pred)
        .scan(0, acc)
        .stateful_map(factory, step)
        .distinct(key)
        .buffer(4)
        .timeout(1.0)
        .throttle(100, 0.01)
        .batch_within(3, 0.01)
        .flatten()
        .batch(2)
        .take(10)
    )
    zipped = ts.zip(built, ts.source(gen())).concat(ts.source(agen()).map(lambda x: (x, [x])))
    _ = repr(zipped)
    it = aiter(zipped)  # an iterator that was never pulled runs nothing either
    async with zipped.stream():
        pass
    assert calls == []
    assert isinstance(it, AsyncGenerator)
    await it.aclose()

    assert len(await zipped.collect()) > 0
    assert "gen started" in calls and "agen started" in calls and "iter" in calls and "factory" in calls


async def test_rule02_source_of_a_generator_does_not_start_it() -> None:
    started: list[str] = []

    def gen() -> Iterator[int]:
        started.append("sync")
        yield 1

    async def agen() -> AsyncIterator[int]:
        started.append("async")
        yield 1

    g, ag = gen(), agen()
    s1, s2 = ts.source(g).map(lambda x: x + 1), ts.source(ag).map(lambda x: x + 1)
    assert started == []
    assert await s1.collect() == [2]
    assert await s2.collect() == [2]
    assert started == ["sync", "async"]
