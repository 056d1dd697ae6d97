"""The batch Pipeline: the accumulated state's type at every step, list steps, results and streaming forms."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import assert_type

from returns.result import Result

import typedstream as ts


@dataclass(frozen=True)
class Raw:
    text: str


@dataclass(frozen=True)
class Parsed:
    id: int
    words: tuple[str, ...]


@dataclass(frozen=True)
class Sized:
    id: int
    sizes: list[int]


@dataclass(frozen=True)
class Checked:
    id: int
    sizes: list[Result[int, Exception]]


def parse(r: Raw) -> Parsed:
    head, *words = r.text.split()
    return Parsed(int(head), tuple(words))


async def size(word: str) -> int:
    await asyncio.sleep(0)
    return len(word)


def sized(p: Parsed, sizes: list[int]) -> Sized:
    return Sized(p.id, sizes)


def checked(p: Parsed, sizes: list[Result[int, Exception]]) -> Checked:
    return Checked(p.id, sizes)


async def enrich(p: Parsed) -> Parsed:
    await asyncio.sleep(0)
    return p


def later(p: Parsed) -> asyncio.Future[int]:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    done.set_result(len(p.words))
    return done


async def steps() -> None:
    start = ts.Pipeline("words", Raw)
    assert_type(start, ts.Pipeline[Raw, Raw])
    parsed = start.step("parse", parse)
    assert_type(parsed, ts.Pipeline[Raw, Parsed])
    assert_type(parsed.step("enrich", enrich, retry=ts.Retry(3), timeout=2.0), ts.Pipeline[Raw, Parsed])
    assert_type(parsed.step("count", lambda p: len(p.words)), ts.Pipeline[Raw, int])
    assert_type(parsed.step("later", later), ts.Pipeline[Raw, int])  # any awaitable is awaited
    assert_type(parsed.each("size", items=lambda p: p.words, f=size, into=sized), ts.Pipeline[Raw, Sized])
    assert_type(
        parsed.each("size", items=lambda p: p.words, f=len, into=sized, on_error="skip", concurrency=4),
        ts.Pipeline[Raw, Sized],
    )
    assert_type(
        parsed.each("size", items=lambda p: p.words, f=size, into=checked, on_error="collect"),
        ts.Pipeline[Raw, Checked],
    )
    dead: list[ts.DeadLetter[str]] = []
    assert_type(
        parsed.each("size", items=lambda p: p.words, f=len, into=sized, on_error="skip", dead_letter=ts.for_each(dead.append)),
        ts.Pipeline[Raw, Sized],
    )
    assert_type(start.name, str)
    assert_type(start.step_names, tuple[str, ...])
    assert_type(start.input_type, type[Raw])


async def results() -> None:
    p = ts.Pipeline("words", Raw).step("parse", parse).each("size", items=lambda p: p.words, f=size, into=sized)
    result = await p.run(Raw("1 a bb"))
    assert_type(result, ts.PipelineResult[Sized])
    assert_type(result.ok, bool)
    assert_type(result.state, Sized)
    assert_type(result.outcome, Result[Sized, ts.StepError])
    assert_type(result.error, ts.StepError | None)
    assert_type(result.failed_step, str | None)
    assert_type(result.partial_state, object)
    assert_type(result.steps, tuple[ts.StepRecord, ...])
    assert_type(result.steps[0].status, ts.StepStatus)
    assert_type(result.steps[0].duration, float)
    assert_type(result.steps[0].name, str)
    assert_type(result.steps[0].attempts, int)
    assert_type(result.steps[0].error, BaseException | None)
    assert_type(result.duration, float)
    assert_type(result.pipeline, str)
    assert_type(result.report, ts.RunReport)
    if result.error is not None:
        assert_type(result.error.step, str)
        assert_type(result.error.attempts, int)
        assert_type(result.error.pipeline, str)
        assert_type(result.error.state, object)
        assert_type(result.error.cause, BaseException)


async def streaming() -> None:
    p = ts.Pipeline("words", Raw).step("parse", parse)
    assert_type(p.stream([Raw("1 a")], concurrency=8), ts.Source[Result[Parsed, ts.StepError]])
    assert_type(p.as_stream(), ts.Stream[Raw, Result[Parsed, ts.StepError]])
    composed = ts.source(["1 a", "2 b"]) | ts.map(Raw) | p.as_stream(concurrency=2) | ts.successes()
    assert_type(composed, ts.Source[Parsed])
    assert_type(await composed.collect(), list[Parsed])
