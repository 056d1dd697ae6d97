"""Build-time validation (docs/design.md): a bad option, count, callable or operand fails when the stage is built,
before anything runs, with a message naming the stage and the option."""

from __future__ import annotations

from typing import Any

import pytest

import typedstream as ts

from tests.support.functions import parse

# ----------------------------------------------------------------------------------------- build-time errors


BAD_OPTIONS: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"concurrency": 0}, ValueError, "stage 'parse': concurrency must be >= 1"),
        ({"concurrency": True}, TypeError, "stage 'parse': concurrency must be an int"),
        ({"on_error": "retry"}, ValueError, "stage 'parse': on_error must be one of 'fail', 'skip', got 'retry'"),
        ({"retry": 3}, TypeError, "stage 'parse': retry must be a Retry or None, got int 3"),
        ({"dead_letter": ts.count()}, ValueError, "stage 'parse': dead_letter= .* needs on_error='skip'"),
        ({"on_error": "skip", "dead_letter": print}, TypeError, "stage 'parse': dead_letter must be a Sink"),
        ({"on_eror": "skip"}, TypeError, "stage 'parse': unknown option 'on_eror'"),
]


@pytest.mark.parametrize(("options", "error", "message"), BAD_OPTIONS)
@pytest.mark.parametrize("operator", ["map", "filter", "flat_map", "tap", "try_map"])
def test_bad_options_fail_at_build_time_naming_stage_and_option(
    operator: str, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        getattr(ts, operator)(parse, **options)
    with pytest.raises(error, match=message):
        getattr(ts.source(["1"]), operator)(parse, **options)


def test_misspelled_option_is_rejected_at_build_time() -> None:
    options: dict[str, Any] = {"concurrancy": 4}
    with pytest.raises(TypeError, match=r"stage 'str': unknown option 'concurrancy'"):
        ts.map(str, **options)
    with pytest.raises(TypeError, match="unknown option"):
        misspelled: dict[str, Any] = {"windw": 3}
        ts.source([1]).map(str, **misspelled)


# -------------------------------------------------------------------------------------- invalid options


def _raises_naming(exc: type[Exception], *words: str) -> Any:
    return pytest.raises(exc, match=".*".join(words))


def test_invalid_concurrency_is_rejected_at_build_time() -> None:
    def f(x: int) -> int:
        return x

    with _raises_naming(ValueError, "'f'", "concurrency"):
        ts.source([1]).map(f, concurrency=0)
    with _raises_naming(TypeError, "'f'", "concurrency"):
        ts.source([1]).map(f, concurrency=True)
    with _raises_naming(ValueError, "'f'", "concurrency"):
        ts.map(f, concurrency=-3)
    with _raises_naming(ValueError, "'f'", "window"):
        ts.source([1]).map(f, concurrency=4, window=2)
    not_an_int: Any = 1.5
    with _raises_naming(TypeError, "'named'", "concurrency"):
        ts.source([1]).filter(f, concurrency=not_an_int, name="named")


def test_invalid_counts_are_rejected_at_build_time() -> None:
    with _raises_naming(ValueError, "take", "n"):
        ts.take(-1)
    with _raises_naming(ValueError, "take", "n"):
        ts.source([1]).take(-1)
    with _raises_naming(ValueError, "skip", "n"):
        ts.skip(-1)
    with _raises_naming(ValueError, "batch", "n"):
        ts.batch(0)
    with _raises_naming(ValueError, "batch", "n"):
        ts.source([1]).batch(0)
    with _raises_naming(ValueError, "buffer", "n"):
        ts.buffer(0)
    with _raises_naming(ValueError, "batch_within", "n"):
        ts.batch_within(0, 1.0)
    with _raises_naming(ValueError, "batch_within", "seconds"):
        ts.batch_within(3, 0)
    with _raises_naming(ValueError, "timeout", "seconds"):
        ts.timeout(-1.0)
    with _raises_naming(ValueError, "throttle", "rate"):
        ts.throttle(0, 1.0)
    with _raises_naming(ValueError, "throttle", "per"):
        ts.throttle(1, 0.0)
    with _raises_naming(ValueError, "source", "chunk_size"):
        ts.source([1], chunk_size=0)
    with _raises_naming(TypeError, "take", "n"):
        ts.take(True)


def test_non_callables_and_non_iterables_are_rejected_at_build_time() -> None:
    not_callable: Any = 42
    with _raises_naming(TypeError, "map", "callable"):
        ts.source([1]).map(not_callable)
    with _raises_naming(TypeError, "filter", "callable"):
        ts.filter(not_callable)
    with _raises_naming(TypeError, "scan", "callable"):
        ts.source([1]).scan(0, not_callable)
    with _raises_naming(TypeError, "distinct", "callable"):
        ts.source([1]).distinct(not_callable)
    not_iterable: Any = 42
    with _raises_naming(TypeError, "source", "42"):
        ts.source(not_iterable)
    with _raises_naming(TypeError, "merge"):
        ts.source([1]).merge(not_iterable)
    with _raises_naming(TypeError, "name"):
        ts.source([1]).map(lambda x: x, name="")


def test_source_or_returns_not_implemented_for_unknown_operands() -> None:
    src: Any = ts.source([1])
    with pytest.raises(TypeError):
        _ = src | 42
    stage: Any = ts.take(1)
    with pytest.raises(TypeError):
        _ = [1, 2] | stage
