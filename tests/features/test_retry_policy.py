"""Retry and Backoff values: validation and the delay sequence (no sleeping: the delays are plain numbers)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import typedstream as ts
from typedstream import Backoff, Retry


def test_exponential_delays_are_capped() -> None:
    policy = Retry(6, backoff=Backoff.exponential(initial=0.1, factor=2, max=0.5, jitter=0))
    assert list(policy.delays()) == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])


def test_constant_and_none() -> None:
    assert list(Retry(3, backoff=Backoff.constant(0.25)).delays()) == [0.25, 0.25]
    assert list(Retry(3, backoff=Backoff.none()).delays()) == [0.0, 0.0]
    assert list(Retry(1).delays()) == []


@given(
    initial=st.floats(0, 5),
    factor=st.floats(1, 4),
    extra=st.floats(0, 20),
    jitter=st.floats(0, 1),
    attempts=st.integers(1, 12),
    seed=st.integers(0, 2**32),
)
def test_jittered_delays_stay_within_bounds_and_are_deterministic_under_a_seed(
    initial: float, factor: float, extra: float, jitter: float, attempts: int, seed: int
) -> None:
    backoff = Backoff.exponential(initial, factor, initial + extra, jitter)
    policy = Retry(attempts, backoff=backoff)
    delays = list(policy.delays(random.Random(seed)))
    assert len(delays) == attempts - 1
    for n, d in enumerate(delays, start=1):
        base = min(initial * factor ** (n - 1), initial + extra)
        assert base * (1 - jitter) - 1e-9 <= d <= base + 1e-9
        assert d <= backoff.max + 1e-9
    assert delays == list(policy.delays(random.Random(seed)))


def test_retry_on_decides_what_is_retried_and_never_cancellation() -> None:
    policy = Retry(3, retry_on=(ConnectionError, TimeoutError))
    assert policy.retries(ConnectionResetError())
    assert not policy.retries(ValueError())
    assert not Retry(3).retries(asyncio.CancelledError())


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: Retry(0), ValueError, "attempts must be >= 1"),
        (lambda: Retry(True), TypeError, "attempts must be an int"),
        (lambda: Retry(cast(Any, 2.5)), TypeError, "attempts must be an int"),
        (lambda: Retry(2, retry_on=cast(Any, (asyncio.CancelledError,))), TypeError, "cancellation is never retried"),
        (lambda: Retry(2, retry_on=()), TypeError, "non-empty tuple"),
        (lambda: Backoff.exponential(initial=-1), ValueError, "initial must be >= 0"),
        (lambda: Backoff.exponential(factor=0.5), ValueError, "factor must be >= 1"),
        (lambda: Backoff.exponential(initial=2, max=1), ValueError, "max"),
        (lambda: Backoff.exponential(jitter=1.5), ValueError, "jitter must be between 0 and 1"),
        (lambda: Backoff.constant(float("nan")), ValueError, "seconds|initial"),
    ],
)
def test_bad_policies_are_rejected_with_a_clear_error(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ts.Retry(0), "attempts must be >= 1"),
        (lambda: ts.Backoff.exponential(initial=-1.0), "initial must be >= 0"),
        (lambda: ts.Backoff.constant(-0.5), "initial must be >= 0"),
        (lambda: ts.Backoff(1.0, jitter=2.0), "jitter must be between 0 and 1"),
    ],
)
def test_bad_retry_policies_fail_when_built(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_retry_policy_sleep_and_seed_are_validated() -> None:
    with pytest.raises(TypeError, match="sleep must be"):
        ts.Retry(2, sleep=cast(Any, 3))
    with pytest.raises(TypeError, match="seed must be"):
        ts.Retry(2, seed=cast(Any, "x"))
