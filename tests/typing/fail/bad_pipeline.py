"""Pipeline misuse: a step whose input is not the state so far, list steps of the wrong shape, wrong inputs."""

from __future__ import annotations

from dataclasses import dataclass

from returns.result import Result

import typedstream as ts


@dataclass(frozen=True)
class Raw:
    text: str


@dataclass(frozen=True)
class Parsed:
    words: tuple[str, ...]


def parse(r: Raw) -> Parsed:
    return Parsed(tuple(r.text.split()))


def shout(p: Parsed) -> str:
    return " ".join(p.words).upper()


def sized(p: Parsed, sizes: list[int]) -> int:
    return sum(sizes)


def checked(p: Parsed, sizes: list[Result[int, Exception]]) -> int:
    return len(sizes)


async def bad_steps() -> None:
    start = ts.Pipeline("words", Raw)
    _a = start.step("shout", shout)  # E: shout takes Parsed, the state is Raw
    _b = start.step("parse", parse).step("parse again", parse)  # E: parse takes Raw, the state is Parsed
    _c = start.step("parse", parse).step("shout", shout).step("shout again", shout)  # E: the state is str now
    _d = start.step("parse", parse, retry=3)  # E: retry takes a Retry
    _e = start.step("parse", parse, timeout="1s")  # E: timeout is seconds
    parsed = start.step("parse", parse)
    _f = parsed.each("size", items=lambda p: p.words, f=len, into=checked)  # E: into takes plain results here
    _g = parsed.each("size", items=lambda p: p.words, f=len, into=sized, on_error="collect")  # E: collect gives Results
    _h = parsed.each("size", items=lambda p: p.words, f=abs, into=sized)  # E: abs does not take str
    _i = parsed.each("size", items=lambda p: p.words, f=len, into=sized, on_error="retry")  # E: unknown strategy
    ints: list[ts.DeadLetter[int]] = []
    _j = parsed.each("size", items=lambda p: p.words, f=len, into=sized, on_error="skip", dead_letter=ts.for_each(ints.append))  # E: the items are str


async def bad_runs() -> None:
    p = ts.Pipeline("words", Raw).step("parse", parse)
    _a = await p.run("just text")  # E: the input is a Raw
    result = await p.run(Raw("a b"))
    _b: Raw = result.state  # E: the state is Parsed
    _c = p.stream(["a"])  # E: inputs are Raw
    _d = ts.source([1, 2]) | p.as_stream()  # E: the stream takes Raw
    _e: ts.Pipeline[Raw, Raw] = p  # E: the state is Parsed
