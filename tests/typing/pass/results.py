"""Errors as values: ``try_map`` (``catch=``, retry, skip, dead letters), ``map_ok``, ``bind`` (the error union
grows), ``recover`` (it narrows), ``successes()``, ``failures()`` and ``unwrap()``; method forms on a Source and
on a Stream, free forms with ``|`` after a Source and after a Stream; ``DeadLetter`` and ``ElementOptions``."""

from __future__ import annotations

import asyncio
from typing import assert_type

from .elements import Row, parse, show
from returns.result import Failure, Result, Success

import typedstream as ts


def to_int(s: str) -> int:
    return int(s)


async def fetch(x: int) -> str:
    await asyncio.sleep(0)
    return str(x)


def lookup(x: int) -> float:
    return {1: 1.5}[x]


def check(x: int) -> Result[str, KeyError]:
    return Success(str(x)) if x >= 0 else Failure(KeyError(x))


async def check_later(x: int) -> Result[str, KeyError]:
    await asyncio.sleep(0)
    return check(x)


def nonempty(s: str) -> Result[str, TypeError]:
    return Success(s) if s else Failure(TypeError("empty"))


def known(s: str) -> Result[str, KeyError]:
    return Success(s) if s else Failure(KeyError(s))


def handle(e: ValueError | KeyError) -> Result[str, KeyError]:
    return Failure(e) if isinstance(e, KeyError) else Success("default")


def handle_value(e: ValueError) -> Result[int, KeyError]:
    return Success(0) if str(e) else Failure(KeyError(str(e)))


async def handle_later(e: ValueError) -> Result[int, KeyError]:
    await asyncio.sleep(0)
    return handle_value(e)


def fallback(e: Exception) -> Result[Row, TypeError]:
    return Success(Row(0, str(e)))


def validate(r: Row) -> Result[Row, KeyError]:
    return Success(r) if r.name else Failure(KeyError(r.id))


def rescue(e: ValueError | KeyError) -> Result[Row, KeyError]:
    return Failure(e) if isinstance(e, KeyError) else Success(Row(0, "unknown"))


def ints() -> ts.Source[Result[int, ValueError]]:
    return ts.source(["1", "x"]).try_map(to_int, catch=ValueError)


def int_stage() -> ts.Stream[str, Result[int, ValueError]]:
    return ts.try_map(to_int, catch=ValueError)


async def try_map_() -> None:
    src = ts.source(["1", "x"])
    nums = ts.source(range(3))
    # free form, sync and async f; without catch= the error type is Exception
    assert_type(ts.try_map(to_int), ts.Stream[str, Result[int, Exception]])
    assert_type(ts.try_map(fetch), ts.Stream[int, Result[str, Exception]])
    assert_type(ts.try_map(to_int, catch=ValueError), ts.Stream[str, Result[int, ValueError]])
    assert_type(ts.try_map(fetch, catch=ValueError), ts.Stream[int, Result[str, ValueError]])
    assert_type(
        ts.try_map(lookup, catch=(ValueError, KeyError)), ts.Stream[int, Result[float, ValueError | KeyError]]
    )
    assert_type(ts.try_map(fetch, catch=(ValueError, KeyError)), ts.Stream[int, Result[str, ValueError | KeyError]])
    assert_type(ts.try_map(lambda s: int(s), of=str, catch=ValueError), ts.Stream[str, Result[int, ValueError]])
    assert_type(src | ts.try_map(to_int), ts.Source[Result[int, Exception]])
    assert_type(src | ts.try_map(to_int, catch=ValueError), ts.Source[Result[int, ValueError]])
    assert_type(nums | ts.try_map(fetch, catch=(ValueError, KeyError)), ts.Source[Result[str, ValueError | KeyError]])
    assert_type(ts.try_map(to_int, catch=Exception), ts.Stream[str, Result[int, Exception]])
    # method form on a Source
    assert_type(src.try_map(to_int), ts.Source[Result[int, Exception]])
    assert_type(src.try_map(lambda s: int(s)), ts.Source[Result[int, Exception]])
    assert_type(src.try_map(to_int, catch=ValueError), ts.Source[Result[int, ValueError]])
    assert_type(
        src.try_map(lambda s: int(s), catch=(ValueError, KeyError)), ts.Source[Result[int, ValueError | KeyError]]
    )
    assert_type(nums.try_map(fetch), ts.Source[Result[str, Exception]])
    assert_type(nums.try_map(fetch, catch=ValueError), ts.Source[Result[str, ValueError]])
    assert_type(
        nums.try_map(lambda x: fetch(x), catch=(ValueError, KeyError)), ts.Source[Result[str, ValueError | KeyError]]
    )
    # method form on a Stream
    stage = ts.map(show)
    assert_type(stage.try_map(to_int), ts.Stream[int, Result[int, Exception]])
    assert_type(stage.try_map(to_int, catch=ValueError), ts.Stream[int, Result[int, ValueError]])
    assert_type(
        stage.try_map(lambda s: parse(s), catch=(ValueError, KeyError)),
        ts.Stream[int, Result[Row, ValueError | KeyError]],
    )
    assert_type(ts.map(to_int).try_map(fetch, catch=ValueError), ts.Stream[str, Result[str, ValueError]])
    assert_type(stage | ts.try_map(to_int, catch=ValueError), ts.Stream[int, Result[int, ValueError]])


async def try_map_options() -> None:
    src = ts.source(["1", "x"])
    dead: list[ts.DeadLetter[str]] = []
    retry = ts.Retry(3, ts.Backoff.exponential(initial=0.01, max=1.0), retry_on=(ConnectionError,))
    assert_type(retry, ts.Retry)
    assert_type(ts.Backoff.constant(0.5), ts.Backoff)
    assert_type(ts.try_map(fetch, catch=ValueError, concurrency=8), ts.Stream[int, Result[str, ValueError]])
    assert_type(
        ts.try_map(fetch, catch=ValueError, concurrency=8, ordered=False, window=64, name="fetch"),
        ts.Stream[int, Result[str, ValueError]],
    )
    assert_type(ts.try_map(to_int, catch=ValueError, retry=retry), ts.Stream[str, Result[int, ValueError]])
    assert_type(ts.try_map(to_int, catch=ValueError, retry=ts.Retry(2)), ts.Stream[str, Result[int, ValueError]])
    assert_type(ts.try_map(to_int, catch=ValueError, retry=None), ts.Stream[str, Result[int, ValueError]])
    assert_type(
        ts.try_map(to_int, catch=ValueError, on_error="skip", dead_letter=ts.for_each(dead.append)),
        ts.Stream[str, Result[int, ValueError]],
    )
    assert_type(ts.try_map(to_int, on_error="fail"), ts.Stream[str, Result[int, Exception]])
    assert_type(
        src.try_map(to_int, catch=ValueError, retry=retry, on_error="skip", dead_letter=ts.for_each(dead.append)),
        ts.Source[Result[int, ValueError]],
    )
    assert_type(
        src.try_map(to_int, catch=(ValueError, KeyError), concurrency=4), ts.Source[Result[int, ValueError | KeyError]]
    )
    assert_type(
        ts.map(show).try_map(to_int, catch=ValueError, on_error="skip", dead_letter=ts.for_each(dead.append)),
        ts.Stream[int, Result[int, ValueError]],
    )
    # a sink of a wider element type is accepted (sinks are contravariant)
    anything: list[ts.DeadLetter[object]] = []
    assert_type(
        src.try_map(to_int, on_error="skip", dead_letter=ts.for_each(anything.append)),
        ts.Source[Result[int, Exception]],
    )
    # the guard options on the other element operators
    assert_type(src.map(to_int, retry=retry, on_error="skip", dead_letter=ts.for_each(dead.append)), ts.Source[int])
    assert_type(ts.map(to_int, on_error="skip", dead_letter=ts.for_each(dead.append)), ts.Stream[str, int])


def widest(s: ts.Source[Result[object, Exception]]) -> ts.Source[object]:
    return s.successes()


async def result_options() -> None:
    src = ints()
    retry = ts.Retry(3, ts.Backoff.constant(0.1))
    # the method forms type a dead-letter sink by the stage's input, the whole Result element
    dead: list[ts.DeadLetter[Result[int, ValueError]]] = []
    assert_type(
        src.map_ok(show, on_error="skip", dead_letter=ts.for_each(dead.append)), ts.Source[Result[str, ValueError]]
    )
    assert_type(
        src.bind(check, retry=retry, on_error="skip", dead_letter=ts.for_each(dead.append)),
        ts.Source[Result[str, ValueError | KeyError]],
    )
    assert_type(
        src.recover(handle_value, on_error="skip", dead_letter=ts.for_each(dead.append)),
        ts.Source[Result[int, KeyError]],
    )
    # a free form does not know the error type of the stream it will join, so its sink must take any error
    any_error: list[ts.DeadLetter[Result[int, object]]] = []
    assert_type(
        src | ts.bind(check, concurrency=2, on_error="skip", dead_letter=ts.for_each(any_error.append)),
        ts.Source[Result[str, ValueError | KeyError]],
    )
    assert_type(src | ts.map_ok(fetch, retry=retry, name="fetch"), ts.Source[Result[str, ValueError]])
    assert_type(src | ts.recover(handle_later, ordered=False, concurrency=2), ts.Source[Result[int, KeyError]])
    # Source and Result are covariant: a narrower Result stream is accepted where a wider one is expected
    assert_type(widest(src), ts.Source[object])
    assert_type(widest(ts.source(["1"]).try_map(parse, catch=(ValueError, KeyError))), ts.Source[object])


async def map_ok_() -> None:
    src = ints()
    stream = int_stage()
    # method form
    assert_type(src.map_ok(show), ts.Source[Result[str, ValueError]])
    assert_type(src.map_ok(fetch), ts.Source[Result[str, ValueError]])
    assert_type(src.map_ok(lambda x: x * 1.5), ts.Source[Result[float, ValueError]])
    assert_type(src.map_ok(lambda x: fetch(x), concurrency=4), ts.Source[Result[str, ValueError]])
    assert_type(stream.map_ok(show), ts.Stream[str, Result[str, ValueError]])
    assert_type(stream.map_ok(fetch, concurrency=2), ts.Stream[str, Result[str, ValueError]])
    assert_type(stream.map_ok(lambda x: [x]), ts.Stream[str, Result[list[int], ValueError]])
    # free form
    assert_type(ts.map_ok(show), ts.MapOkStage[int, str])
    assert_type(ts.map_ok(fetch), ts.MapOkStage[int, str])
    assert_type(ts.map_ok(lambda x: x + 1, of=int), ts.MapOkStage[int, int])
    assert_type(src | ts.map_ok(show), ts.Source[Result[str, ValueError]])
    assert_type(src | ts.map_ok(fetch, concurrency=2), ts.Source[Result[str, ValueError]])
    assert_type(stream | ts.map_ok(show), ts.Stream[str, Result[str, ValueError]])
    assert_type(stream | ts.map_ok(fetch), ts.Stream[str, Result[str, ValueError]])


async def bind_() -> None:
    src = ints()
    stream = int_stage()
    # method form: the error union grows
    assert_type(src.bind(check), ts.Source[Result[str, ValueError | KeyError]])
    assert_type(src.bind(check_later, concurrency=4), ts.Source[Result[str, ValueError | KeyError]])
    assert_type(src.bind(check).bind(nonempty), ts.Source[Result[str, ValueError | KeyError | TypeError]])
    assert_type(stream.bind(check), ts.Stream[str, Result[str, ValueError | KeyError]])
    assert_type(stream.bind(check_later), ts.Stream[str, Result[str, ValueError | KeyError]])
    assert_type(stream.bind(check).bind(nonempty), ts.Stream[str, Result[str, ValueError | KeyError | TypeError]])
    # the same error type does not repeat
    assert_type(src.bind(check).bind(known), ts.Source[Result[str, ValueError | KeyError]])
    # free form
    assert_type(ts.bind(check), ts.BindStage[int, str, KeyError])
    assert_type(ts.bind(check_later), ts.BindStage[int, str, KeyError])
    assert_type(ts.bind(lambda x: check(x), of=int), ts.BindStage[int, str, KeyError])
    assert_type(src | ts.bind(check), ts.Source[Result[str, ValueError | KeyError]])
    assert_type(src | ts.bind(check_later), ts.Source[Result[str, ValueError | KeyError]])
    assert_type(src | ts.bind(check) | ts.bind(nonempty), ts.Source[Result[str, ValueError | KeyError | TypeError]])
    assert_type(stream | ts.bind(check), ts.Stream[str, Result[str, ValueError | KeyError]])
    assert_type(
        stream | ts.bind(check) | ts.bind(nonempty), ts.Stream[str, Result[str, ValueError | KeyError | TypeError]]
    )


async def recover_() -> None:
    src = ints()
    stream = int_stage()
    both = src.bind(check)
    assert_type(both, ts.Source[Result[str, ValueError | KeyError]])
    # method form: the handler narrows the error type to what it can still return
    assert_type(both.recover(handle), ts.Source[Result[str, KeyError]])
    assert_type(stream.bind(check).recover(handle), ts.Stream[str, Result[str, KeyError]])
    # a handler with another value type: the values become a union
    assert_type(src.recover(handle_value), ts.Source[Result[int, KeyError]])
    assert_type(both.recover(rescue), ts.Source[Result[str | Row, KeyError]])
    assert_type(src.recover(handle_later), ts.Source[Result[int, KeyError]])
    assert_type(stream.recover(handle_value), ts.Stream[str, Result[int, KeyError]])
    assert_type(stream.bind(check).recover(rescue), ts.Stream[str, Result[str | Row, KeyError]])
    # a handler for a wider error type is accepted
    assert_type(src.recover(fallback), ts.Source[Result[int | Row, TypeError]])
    # free form
    assert_type(ts.recover(handle), ts.RecoverStage[ValueError | KeyError, str, KeyError])
    assert_type(ts.recover(handle_later), ts.RecoverStage[ValueError, int, KeyError])
    assert_type(ts.recover(lambda e: handle_value(e), of=ValueError), ts.RecoverStage[ValueError, int, KeyError])
    assert_type(both | ts.recover(handle), ts.Source[Result[str, KeyError]])
    assert_type(both | ts.recover(rescue), ts.Source[Result[str | Row, KeyError]])
    assert_type(src | ts.recover(handle_later), ts.Source[Result[int, KeyError]])
    assert_type(stream | ts.bind(check) | ts.recover(handle), ts.Stream[str, Result[str, KeyError]])
    assert_type(stream | ts.recover(handle_value), ts.Stream[str, Result[int, KeyError]])


async def successes_failures_unwrap() -> None:
    src = ints()
    stream = int_stage()
    both = src.bind(check)
    # method form
    assert_type(src.successes(), ts.Source[int])
    assert_type(src.failures(), ts.Source[ValueError])
    assert_type(src.unwrap(), ts.Source[int])
    assert_type(both.successes(), ts.Source[str])
    assert_type(both.failures(), ts.Source[ValueError | KeyError])
    assert_type(both.unwrap(), ts.Source[str])
    assert_type(stream.successes(), ts.Stream[str, int])
    assert_type(stream.failures(), ts.Stream[str, ValueError])
    assert_type(stream.unwrap(), ts.Stream[str, int])
    # free form
    assert_type(ts.successes(), ts.ValuesStage)
    assert_type(ts.failures(), ts.ErrorsStage)
    assert_type(ts.unwrap(), ts.ValuesStage)
    assert_type(src | ts.successes(), ts.Source[int])
    assert_type(src | ts.failures(), ts.Source[ValueError])
    assert_type(src | ts.unwrap(), ts.Source[int])
    assert_type(both | ts.failures(), ts.Source[ValueError | KeyError])
    assert_type(stream | ts.successes(), ts.Stream[str, int])
    assert_type(stream | ts.failures(), ts.Stream[str, ValueError])
    assert_type(stream | ts.unwrap(), ts.Stream[str, int])
    # what follows sees the values
    assert_type(src.successes().map(show), ts.Source[str])
    assert_type(src | ts.successes() | ts.map(show), ts.Source[str])
    assert_type(stream.successes() | ts.map(show), ts.Stream[str, str])
    assert_type(src.failures().map(lambda e: str(e)), ts.Source[str])
    assert_type(await src.successes().collect(), list[int])
    assert_type(await src.failures().collect(), list[ValueError])


async def end_to_end() -> None:
    lines = ["1,ada", "2,", "oops"]
    dead: list[ts.DeadLetter[str]] = []
    parsed = ts.source(lines) | ts.try_map(parse, catch=ValueError)
    assert_type(parsed, ts.Source[Result[Row, ValueError]])
    validated = parsed | ts.bind(validate)
    assert_type(validated, ts.Source[Result[Row, ValueError | KeyError]])
    recovered = validated | ts.recover(rescue)
    assert_type(recovered, ts.Source[Result[Row, KeyError]])
    rows = recovered | ts.successes()
    assert_type(rows, ts.Source[Row])
    assert_type(await rows.collect(), list[Row])
    assert_type(
        ts.source(lines)
        | ts.try_map(parse, catch=ValueError)
        | ts.bind(validate)
        | ts.recover(rescue)
        | ts.successes(),
        ts.Source[Row],
    )
    # the same with methods
    src = (
        ts.source(lines)
        .try_map(parse, catch=ValueError, on_error="skip", dead_letter=ts.for_each(dead.append))
        .bind(validate)
        .recover(rescue)
    )
    assert_type(src, ts.Source[Result[Row, KeyError]])
    assert_type(await src.collect(), list[Result[Row, KeyError]])
    assert_type(await src.failures().collect(), list[KeyError])
    # a reusable Stream, then a Source in front of it
    stage = ts.try_map(parse, catch=ValueError) | ts.bind(validate) | ts.recover(rescue) | ts.unwrap()
    assert_type(stage, ts.Stream[str, Row])
    assert_type(ts.source(lines) | stage, ts.Source[Row])
    # running
    report = await src.run()
    assert_type(report, ts.RunReport)
    assert_type(report.stages, tuple[ts.StageMetrics, ...])
    assert_type(report.skipped, int)
    assert_type(report.failed, int)
    assert_type(report.retried, int)
    assert_type(report.stages[0].skipped, int)


async def dead_letters() -> None:
    dead: list[ts.DeadLetter[str]] = []
    letter = ts.DeadLetter("x", ValueError("x"), "parse", 1)
    assert_type(letter, ts.DeadLetter[str])
    assert_type(letter.element, str)
    assert_type(letter.exception, Exception)
    assert_type(letter.stage, str)
    assert_type(letter.attempts, int)
    for d in dead:
        assert_type(d.element, str)
        assert_type(d.exception, Exception)
        assert_type(d.stage, str)
        assert_type(d.attempts, int)
    assert_type(ts.for_each(dead.append), ts.Sink[ts.DeadLetter[str], None])
    # DeadLetter is covariant: a DeadLetter[str] is a DeadLetter[object]
    assert_type(describe(letter), str)


def describe(letter: ts.DeadLetter[object]) -> str:
    assert_type(letter.element, object)
    return f"{letter.stage}: {letter.exception!r} after {letter.attempts} attempt(s)"


async def element_options() -> None:
    nums = ts.source(range(3))
    dead: list[ts.DeadLetter[int]] = []
    options: ts.ElementOptions[int] = {"retry": ts.Retry(3), "on_error": "skip"}
    assert_type(options, ts.ElementOptions[int])
    assert_type(nums.map(show, **options), ts.Source[str])
    assert_type(nums.map(fetch, **options), ts.Source[str])
    assert_type(nums.try_map(fetch, catch=ValueError, **options), ts.Source[Result[str, ValueError]])
    assert_type(ts.map(show, **options), ts.Stream[int, str])
    assert_type(ts.try_map(lookup, **options), ts.Stream[int, Result[float, Exception]])
    guarded: ts.ElementOptions[int] = {
        "concurrency": 4,
        "ordered": False,
        "retry": ts.Retry(2, ts.Backoff.none()),
        "on_error": "skip",
        "dead_letter": ts.for_each(dead.append),
    }
    assert_type(nums.map(show, **guarded), ts.Source[str])
    assert_type(nums.filter(lambda x: x > 0, **guarded), ts.Source[int])


async def try_map_many_classes() -> None:
    nums = ts.source(range(3))
    three = ts.try_map(lookup, catch=(ValueError, KeyError, OSError))
    assert_type(three, ts.Stream[int, Result[float, ValueError | KeyError | OSError]])
    assert_type(
        nums.try_map(fetch, catch=(ValueError, KeyError, OSError, TimeoutError)),
        ts.Source[Result[str, ValueError | KeyError | OSError | TimeoutError]],
    )
    assert_type(
        nums | ts.try_map(show, catch=(ValueError, KeyError, OSError, TimeoutError, LookupError)),
        ts.Source[Result[str, ValueError | KeyError | OSError | TimeoutError | LookupError]],
    )
