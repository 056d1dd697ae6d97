"""Rule 18: Retry is bounded. At most ``attempts`` calls per element, waiting the policy's capped, jittered delays
between them; a retried element is emitted once."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import typedstream as ts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    failures=st.lists(st.integers(0, 6), min_size=1, max_size=30),
    attempts=st.integers(1, 5),
    initial=st.floats(0.0, 2.0),
    factor=st.floats(1.0, 3.0),
    cap=st.floats(0.0, 5.0),
    jitter=st.floats(0.0, 1.0),
    concurrency=st.sampled_from([1, 3]),
    seed=st.integers(0, 2**16),
)
async def test_rule18_retry_calls_at_most_attempts_times_with_capped_jittered_delays_and_never_re_emits(
    failures: list[int],
    attempts: int,
    initial: float,
    factor: float,
    cap: float,
    jitter: float,
    concurrency: int,
    seed: int,
) -> None:
    """Element i fails ``failures[i]`` times before succeeding."""
    delays: list[float] = []
    calls: Counter[int] = Counter()

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        await asyncio.sleep(0)

    async def f(i: int) -> int:
        calls[i] += 1
        if calls[i] <= failures[i]:
            raise ConnectionError(i)
        return i

    cap = max(cap, initial)
    policy = ts.Retry(attempts, ts.Backoff(initial, factor, cap, jitter), sleep=sleep, seed=seed)
    dead: list[ts.DeadLetter[int]] = []
    got = await ts.source(range(len(failures))).map(
        f, retry=policy, on_error="skip", concurrency=concurrency, dead_letter=ts.for_each(dead.append)
    ).collect()
    ok = [i for i, n in enumerate(failures) if n < attempts]
    assert got == ok  # each succeeding element exactly once, in order
    assert sorted(d.element for d in dead) == [i for i, n in enumerate(failures) if n >= attempts]
    assert all(d.attempts == attempts for d in dead)
    for i, n in enumerate(failures):
        assert calls[i] == min(n + 1, attempts)
    assert len(delays) == sum(min(n, attempts - 1) for n in failures)
    for d in delays:
        assert 0 <= d <= cap
    # the k-th retry of an element waits between base(k) * (1 - jitter) and base(k)
    if concurrency == 1:
        expected_bases = [policy.backoff.base(k) for n in failures for k in range(1, min(n, attempts - 1) + 1)]
        for d, base in zip(delays, expected_bases, strict=True):
            assert base * (1 - jitter) - 1e-9 <= d <= base + 1e-9
