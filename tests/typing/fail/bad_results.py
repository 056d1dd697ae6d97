"""Result operator misuse: on elements that are not Results, functions of the wrong side, bad catch= and guard
options, and values used as the wrong type after the chain."""

from __future__ import annotations

import asyncio

from returns.result import Failure, Result, Success

import typedstream as ts


def to_int(s: str) -> int:
    return int(s)


def show(x: int) -> str:
    return str(x)


def length(s: str) -> int:
    return len(s)


def check(x: int) -> Result[str, KeyError]:
    return Success(str(x)) if x >= 0 else Failure(KeyError(x))


def check_str(s: str) -> Result[int, KeyError]:
    return Success(len(s)) if s else Failure(KeyError(s))


def handle_key(e: KeyError) -> Result[int, KeyError]:
    return Success(0) if e.args else Failure(e)


def handle_value(e: ValueError) -> Result[int, KeyError]:
    return Success(0) if e.args else Failure(KeyError(str(e)))


async def handle_key_later(e: KeyError) -> Result[int, KeyError]:
    await asyncio.sleep(0)
    return handle_key(e)


def ints() -> ts.Source[Result[int, ValueError]]:
    return ts.source(["1", "x"]).try_map(to_int, catch=ValueError)


def int_stage() -> ts.Stream[str, Result[int, ValueError]]:
    return ts.try_map(to_int, catch=ValueError)


def both() -> ts.Source[Result[int, ValueError | KeyError]]:
    return ts.source(["1", "x"]).try_map(to_int, catch=(ValueError, KeyError))


def needs_str(s: str) -> str:
    return s


async def not_results() -> None:
    plain = ts.source(range(3))
    stage = ts.map(show)
    _a = plain.successes()  # E: int is not a Result
    _b = plain.failures()  # E: int is not a Result
    _c = plain.unwrap()  # E: int is not a Result
    _d = plain.map_ok(show)  # E: int is not a Result
    _e = plain.bind(check)  # E: int is not a Result
    _f = plain.recover(handle_value)  # E: int is not a Result
    _g = stage.successes()  # E: str is not a Result
    _h = stage.failures()  # E: str is not a Result
    _i = stage.unwrap()  # E: str is not a Result
    _j = stage.map_ok(length)  # E: str is not a Result
    _k = stage.bind(check_str)  # E: str is not a Result
    _l = stage.recover(handle_value)  # E: str is not a Result
    _m = plain | ts.successes()  # E: int is not a Result
    _n = plain | ts.failures()  # E: int is not a Result
    _o = plain | ts.unwrap()  # E: int is not a Result
    _p = plain | ts.map_ok(show)  # E: int is not a Result
    _q = plain | ts.bind(check)  # E: int is not a Result
    _r = plain | ts.recover(handle_value)  # E: int is not a Result
    _s = stage | ts.successes()  # E: str is not a Result
    _t = stage | ts.failures()  # E: str is not a Result
    _u = stage | ts.unwrap()  # E: str is not a Result
    _v = stage | ts.map_ok(length)  # E: str is not a Result
    _w = stage | ts.bind(check_str)  # E: str is not a Result
    _x = stage | ts.recover(handle_value)  # E: str is not a Result


async def wrong_side() -> None:
    src = ints()
    stream = int_stage()
    _a = src.map_ok(length)  # E: length takes str, values are int
    _b = stream.map_ok(length)  # E: length takes str, values are int
    _c = src | ts.map_ok(length)  # E: length takes str, values are int
    _d = stream | ts.map_ok(length)  # E: length takes str, values are int
    _e = src.map_ok(lambda x: x.upper())  # E: int has no upper
    _f = src.bind(check_str)  # E: check_str takes str, values are int
    _g = stream.bind(check_str)  # E: check_str takes str, values are int
    _h = src | ts.bind(check_str)  # E: check_str takes str, values are int
    _i = stream | ts.bind(check_str)  # E: check_str takes str, values are int
    _j = src.bind(show)  # E: show does not return a Result
    _k = stream.bind(show)  # E: show does not return a Result
    _l = ts.bind(show)  # E: show does not return a Result
    _m = src.recover(handle_key)  # E: the handler takes KeyError, the error is ValueError
    _n = both().recover(handle_key)  # E: the handler does not take ValueError
    _o = both() | ts.recover(handle_key)  # E: the handler does not take ValueError
    _p = both().recover(handle_key_later)  # E: the handler does not take ValueError
    _q = src.recover(show)  # E: show does not take the error
    _r = src.recover(to_int)  # E: the handler does not return a Result
    _s = ts.recover(to_int)  # E: the handler does not return a Result
    _t = ts.try_map(to_int, catch=ValueError, of=int)  # E: to_int takes str, not int
    _u = ts.map_ok(show, of=str)  # E: show takes int, not str
    _v = ts.bind(check, of=str)  # E: check takes int, not str
    _w = ts.recover(handle_key, of=ValueError)  # E: handle_key takes KeyError, not ValueError


async def bad_options() -> None:
    src = ts.source(["1", "x"])
    dead: list[ts.DeadLetter[int]] = []
    _a = ts.try_map(to_int, catch=int)  # E: catch must be Exception subclasses
    _b = src.try_map(to_int, catch=int)  # E: catch must be Exception subclasses
    _c = ts.try_map(to_int, catch=(ValueError, BaseException))  # E: BaseException is not an Exception
    _d = src.try_map(to_int, catch=(ValueError, BaseException))  # E: BaseException is not an Exception
    _e = ts.try_map(to_int, catch=KeyboardInterrupt)  # E: KeyboardInterrupt is not an Exception
    _f = ts.try_map(to_int, catch=ValueError("x"))  # E: catch takes classes, not instances
    _g = ts.try_map(to_int, on_error="retry")  # E: on_error is "fail" or "skip"
    _h = src.try_map(to_int, on_error="retry")  # E: on_error is "fail" or "skip"
    _i = ts.try_map(to_int, retry=3)  # E: retry takes a Retry
    _j = src.try_map(to_int, retry=3)  # E: retry takes a Retry
    _k = ts.try_map(to_int, on_error="skip", dead_letter=ts.for_each(dead.append))  # E: str stage, int letters (not pyrefly: it widens the free form's input to fit the sink; the method form below is rejected)
    _l = src.try_map(to_int, on_error="skip", dead_letter=ts.for_each(dead.append))  # E: str stage, int letters
    _m = ts.try_map(to_int, on_eror="skip")  # E: unexpected keyword on_eror
    _n = src.try_map(to_int, on_eror="skip")  # E: unexpected keyword on_eror
    _o = src.map(to_int, on_error="retry")  # E: on_error is "fail" or "skip"
    _p = ints().map_ok(show, retry=3)  # E: retry takes a Retry
    _q = ints().bind(check, on_eror="skip")  # E: unexpected keyword on_eror
    _r = ts.Retry("3")  # E: attempts must be an int
    _s = ts.Retry(3, retry_on=(ValueError, KeyboardInterrupt))  # E: retry_on takes Exception subclasses
    _t = ts.Retry(3, backoff=0.5)  # E: backoff takes a Backoff
    _u = src.try_map(to_int, dead_letter=dead.append)  # E: dead_letter takes a Sink
    # a free form cannot know the error type of the stream it joins: its sink must accept any error
    narrow: list[ts.DeadLetter[Result[int, ValueError]]] = []
    _v = ts.map_ok(show, on_error="skip", dead_letter=ts.for_each(narrow.append))  # E: sink must take any error


async def element_options() -> None:
    _a: ts.ElementOptions[int] = {"on_error": "retry"}  # E: on_error is "fail" or "skip"
    _b: ts.ElementOptions[int] = {"retry": 3}  # E: retry takes a Retry
    _c: ts.ElementOptions[int] = {"on_eror": "skip"}  # E: unknown key on_eror
    dead: list[ts.DeadLetter[int]] = []
    options: ts.ElementOptions[int] = {"on_error": "skip", "dead_letter": ts.for_each(dead.append)}
    _d = ts.source(["x"]).map(length, **options)  # E: options for int elements on a str stage


async def dead_letter_fields() -> None:
    letter = ts.DeadLetter("x", ValueError("x"), "parse", 1)
    _a: int = letter.element  # E: the element is a str
    _b: ValueError = letter.exception  # E: the exception is an Exception
    _c: int = letter.stage  # E: the stage is a str
    _d = ts.DeadLetter("x", "not an exception", "parse", 1)  # E: exception must be an Exception


async def wrong_use_after() -> None:
    src = ints()
    _a = needs_str(await src.successes().into(ts.first()))  # E: values are int
    _b: list[str] = await src.successes().collect()  # E: values are int
    _c: list[str] = await src.unwrap().collect()  # E: values are int
    _d: list[KeyError] = await src.failures().collect()  # E: errors are ValueError
    _e: ts.Source[int] = src.map_ok(show).successes()  # E: values are str after map_ok(show)
    _f: ts.Source[Result[str, ValueError]] = src.bind(check)  # E: the error grows to ValueError | KeyError
    _g: ts.Source[Result[int, KeyError]] = both().recover(handle_value)  # E: KeyError is not handled
    _h: ts.Stream[str, str] = int_stage() | ts.successes()  # E: values are int
    _i: ts.Source[ValueError] = both() | ts.failures()  # E: errors are ValueError | KeyError
    async for x in src.successes():
        needs_str(x)  # E: values are int
