"""Errors as values (docs/design.md, Errors): ``try_map`` turns the exceptions it catches into ``Failure`` elements,
and the ``Result`` operators (``map_ok``, ``bind``, ``recover``, ``successes``, ``failures``, ``unwrap``) match
``returns`` on each element."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns.primitives.exceptions import UnwrapFailedError
from returns.result import Failure, Result, Success

import typedstream as ts

from tests.support.clock import VirtualClock
from tests.support.functions import inc, parse

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def aparse(s: str) -> int:
    await asyncio.sleep(0)
    return int(s)


# ------------------------------------------------------------------------------------------------- try_map


@pytest.mark.parametrize("concurrency", [1, 3])
@pytest.mark.parametrize("f", [parse, aparse], ids=["sync", "async"])
async def test_try_map_turns_caught_exceptions_into_failures_in_order(
    f: Callable[[str], Any], concurrency: int
) -> None:
    lines = ["1", "x", "3", "", "5"]
    got = await ts.source(lines).try_map(f, catch=ValueError, concurrency=concurrency).collect()
    assert [r.unwrap() for r in got if isinstance(r, Success)] == [1, 3, 5]
    errors = [r.failure() for r in got if isinstance(r, Failure)]
    assert [type(e) for e in errors] == [ValueError, ValueError]
    assert [isinstance(r, Success) for r in got] == [True, False, True, False, True]


async def test_try_map_failure_names_its_stage_and_element() -> None:
    [r] = await (ts.source(["x"]) | ts.try_map(parse)).collect()
    assert isinstance(r, Failure)
    assert any("stage 'parse'" in n and "'x'" in n for n in r.failure().__notes__)


def f(x: int) -> int:
    """Raises ValueError on 1 and KeyError on 2."""
    if x == 2:
        raise KeyError(x)
    if x == 1:
        raise ValueError(x)
    return x


async def test_try_map_does_not_catch_other_exceptions() -> None:
    src = ts.source(range(4)).try_map(f, catch=ValueError)
    with pytest.raises(KeyError) as info:
        await src.collect()
    assert "typedstream: stage 'f' failed on element 2" in info.value.__notes__


async def test_try_map_with_skip_drops_uncaught_exceptions_into_the_dead_letters() -> None:
    dead: list[ts.DeadLetter[int]] = []

    got = await ts.source(range(4)).try_map(f, catch=ValueError, on_error="skip", dead_letter=ts.for_each(dead.append)).collect()
    assert [r.unwrap() if isinstance(r, Success) else "failure" for r in got] == [0, "failure", 3]
    assert [(d.element, type(d.exception)) for d in dead] == [(2, KeyError)]


async def test_try_map_retries_before_catching() -> None:
    calls: list[int] = []
    clock = VirtualClock()

    def flaky(x: int) -> int:
        calls.append(x)
        if x == 0 or calls.count(x) < 2:
            raise ConnectionError(x)
        return x

    policy = ts.Retry(3, ts.Backoff.constant(1.0), sleep=clock.sleep)
    got = await ts.source([0, 1]).try_map(flaky, catch=ConnectionError, retry=policy).collect()
    assert isinstance(got[0], Failure) and got[1] == Success(1)
    assert calls == [0, 0, 0, 1, 1]  # 0: every attempt fails, then a Failure; 1: succeeds on the 2nd
    assert clock.delays == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("catch", [int, BaseException, asyncio.CancelledError, (ValueError, "x"), ()])
def test_try_map_rejects_bad_catch_at_build_time(catch: Any) -> None:
    with pytest.raises(TypeError, match=r"stage 'parse': catch"):
        ts.try_map(parse, catch=catch)


# --------------------------------------------------------------------------------------- Result operators

results_lists = st.lists(
    st.one_of(st.integers(-50, 50).map(Success), st.sampled_from("abc").map(Failure)), max_size=30
)


def half(x: int) -> Result[int, str]:
    return Success(x // 2) if x % 2 == 0 else Failure("odd")


def fix(e: str) -> Result[int, str]:
    return Success(len(e)) if e != "b" else Failure("still b")


async def ainc(x: int) -> int:
    await asyncio.sleep(0)
    return x + 1


async def ahalf(x: int) -> Result[int, str]:
    await asyncio.sleep(0)
    return half(x)


async def afix(e: str) -> Result[int, str]:
    await asyncio.sleep(0)
    return fix(e)


def bind_model(r: Result[int, str], f: Callable[[int], Result[int, str]]) -> Result[int, str]:
    return f(r.unwrap()) if isinstance(r, Success) else r


def recover_model(r: Result[int, str], f: Callable[[str], Result[int, str]]) -> Result[int, str]:
    return f(r.failure()) if isinstance(r, Failure) else r


@PROPERTY
@given(xs=results_lists, asynchronous=st.booleans(), concurrency=st.sampled_from([1, 3]))
async def test_result_operators_match_returns_on_each_element(
    xs: list[Result[int, str]], asynchronous: bool, concurrency: int
) -> None:
    src = ts.source(xs)
    opts: ts.ElementOptions[Result[int, str]] = {"concurrency": concurrency}
    if asynchronous:
        mapped, bound, recovered = src.map_ok(ainc, **opts), src.bind(ahalf, **opts), src.recover(afix, **opts)
    else:
        mapped, bound, recovered = src.map_ok(inc, **opts), src.bind(half, **opts), src.recover(fix, **opts)
    assert await mapped.collect() == [r.map(inc) for r in xs]
    assert await bound.collect() == [bind_model(r, half) for r in xs]
    assert await recovered.collect() == [recover_model(r, fix) for r in xs]
    assert await src.successes().collect() == [r.unwrap() for r in xs if isinstance(r, Success)]
    assert await src.failures().collect() == [r.failure() for r in xs if isinstance(r, Failure)]
    # the stage-object forms are the same stages
    assert await (src | ts.map_ok(inc)).collect() == [r.map(inc) for r in xs]
    both = [recover_model(bind_model(r, half), fix) for r in xs]
    assert await (src | ts.bind(half) | ts.recover(fix) | ts.successes()).collect() == [
        r.unwrap() for r in both if isinstance(r, Success)
    ]


async def test_unwrap_raises_the_original_exception_of_the_first_failure() -> None:
    src = ts.source(["1", "2", "x", "y"]).try_map(parse, catch=ValueError).unwrap()
    got: list[int] = []
    with pytest.raises(ValueError, match="'x'") as info:
        async for v in src:
            got.append(v)
    assert got == [1, 2]
    assert "typedstream: stage 'parse' failed on element 'x'" in info.value.__notes__


async def test_unwrap_of_a_non_exception_error_raises_returns_unwrap_error() -> None:
    with pytest.raises(UnwrapFailedError):
        await ts.source([Success(1), Failure("bad")]).unwrap().collect()


@pytest.mark.parametrize("stage", ["successes", "failures", "unwrap", "map_ok"])
async def test_result_operators_reject_non_result_elements_naming_the_stage(stage: str) -> None:
    src = cast(ts.Source[Result[int, str]], ts.source(cast(list[object], [Success(1), 2])))
    builders: dict[str, Callable[[], ts.Source[object]]] = {
        "successes": lambda: src.successes(),
        "failures": lambda: src.failures(),
        "unwrap": lambda: src.unwrap(),
        "map_ok": lambda: src.map_ok(inc),
    }
    built = builders[stage]()
    with pytest.raises(TypeError, match="expected a returns Result") as info:
        await built.collect()
    name = "inc" if stage == "map_ok" else stage
    assert f"typedstream: stage {name!r} failed on element 2" in info.value.__notes__


async def test_bind_rejects_a_function_that_does_not_return_a_result() -> None:
    def bad(x: int) -> Any:
        return x

    with pytest.raises(TypeError, match="stage 'bad': the function must return a Result"):
        await ts.source([Success(1)]).bind(bad).collect()


async def test_map_ok_awaits_a_plain_callable_returning_an_awaitable() -> None:
    got = await ts.source([Success(1), Failure("e")]).map_ok(lambda x: ainc(x)).collect()
    assert got == [Success(2), Failure("e")]


async def test_successes_and_failures_are_counted_as_filtered() -> None:
    report = await ts.source([Success(1), Failure("a"), Success(2)]).successes().run()
    st_ = report.stage("successes")
    assert (st_.items_in, st_.items_out, st_.filtered) == (3, 2, 1)


async def test_result_operator_options_are_checked_too() -> None:
    with pytest.raises(ValueError, match="stage 'inc': concurrency must be >= 1"):
        ts.map_ok(inc, concurrency=0)
    with pytest.raises(ValueError, match="stage 'half': on_error must be one of"):
        ts.source([Success(1)]).bind(half, on_error=cast(Any, "ignore"))


async def test_try_map_counts_what_it_caught() -> None:
    report = await ts.source(["1", "x", "3", "y"]).try_map(int, catch=ValueError).run()
    s = report.stage("int")
    assert (s.items_in, s.items_out, s.caught, s.failed) == (4, 4, 2, 0)
    assert report.to_dict()["caught"] == 2 and report.to_dict()["stages"][1]["caught"] == 2
