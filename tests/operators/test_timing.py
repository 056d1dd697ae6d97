"""The operators about time and demand (``buffer``, ``timeout``, ``throttle``; ``batch_within`` is rule 19, in
tests/engine/): their documented semantics and edge cases, with small sleeps and generous tolerances."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import typedstream as ts

from tests.support.errors import Boom, notes
from tests.support.operators import acounting, aiterate, counting

# ------------------------------------------------------------------------------------------------ buffer


async def test_buffer_counts_elements_not_chunks() -> None:
    """buffer(3) over chunks of 10 holds about 3 elements, not 3 chunks (30 elements)."""
    pulled: list[int] = []
    async with ts.source(counting(pulled), chunk_size=10).buffer(3).stream() as it:
        assert await anext(it) == 0
        await asyncio.sleep(0.02)  # let the buffer fill up
        assert len(pulled) <= 20, f"buffer(3) pulled {len(pulled)} elements"


async def test_buffer_keeps_order_and_every_element() -> None:
    assert await ts.source(range(1000)).buffer(7).collect() == list(range(1000))
    assert await ts.source(aiterate(list(range(50)))).buffer(1).collect() == list(range(50))
    assert await (ts.source(range(3)) | ts.buffer(100)).collect() == [0, 1, 2]


async def test_buffer_prefetches_ahead_of_a_slow_consumer() -> None:
    pulled: list[int] = []
    async with ts.source(acounting(pulled)).buffer(4).stream() as it:
        assert await anext(it) == 0
        await asyncio.sleep(0.01)
        assert len(pulled) >= 5  # the next 4 were pulled while the consumer was busy


async def test_buffer_surfaces_an_upstream_error_after_its_prefix() -> None:
    def fail_at_5(x: int) -> int:
        if x == 5:
            raise Boom(x)
        return x

    got: list[int] = []
    with pytest.raises(Boom):
        async for x in ts.source(range(10), chunk_size=1).map(fail_at_5).buffer(3):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]


# ----------------------------------------------------------------------------------------------- timeout


async def test_timeout_raises_timeout_error_naming_the_stage() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    got: list[int] = []
    with pytest.raises(TimeoutError) as info:
        async for x in ts.source(aiterate([1, 2, 3], 0.2)).timeout(0.01):
            got.append(x)
    assert got == []
    assert loop.time() - t0 < 0.15
    text = str(info.value) + " ".join(notes(info.value))
    assert "timeout" in text


async def test_timeout_does_not_fire_when_elements_arrive_in_time() -> None:
    assert await ts.source(aiterate([1, 2, 3], 0.002)).timeout(0.2).collect() == [1, 2, 3]


async def test_timeout_counts_only_upstream_time_not_a_slow_consumer() -> None:
    got: list[int] = []
    async for x in ts.source(range(3)).timeout(0.01):
        await asyncio.sleep(0.03)
        got.append(x)
    assert got == [0, 1, 2]


async def test_timeout_fires_after_some_elements() -> None:
    async def stall() -> AsyncIterator[int]:
        yield 1
        yield 2
        await asyncio.sleep(1)
        yield 3

    got: list[int] = []
    with pytest.raises(TimeoutError):
        async for x in ts.source(stall()) | ts.timeout(0.02):
            got.append(x)
    assert got == [1, 2]


# ---------------------------------------------------------------------------------------------- throttle


async def test_throttle_spaces_elements() -> None:
    loop = asyncio.get_running_loop()
    stamps: list[float] = []
    rate, per = 2, 0.03
    async for _ in ts.source(range(7)).throttle(rate, per):
        stamps.append(loop.time())
    assert len(stamps) == 7
    for i in range(len(stamps) - rate):
        assert stamps[i + rate] - stamps[i] >= per - 0.003, f"more than {rate} elements within {per} s"
    total = stamps[-1] - stamps[0]
    assert 3 * per - 0.003 <= total <= 3 * per + 0.1  # 7 elements at 2 per window: 3 windows after the first


async def test_throttle_does_not_delay_a_slow_stream() -> None:
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await (ts.source(aiterate([1, 2, 3], 0.01)) | ts.throttle(1, 0.005)).collect() == [1, 2, 3]
    assert loop.time() - t0 < 0.2


# ------------------------------------------------------------ timers never mistake an upstream TimeoutError


async def _times_out_at_3(x: int) -> int:
    await asyncio.sleep(0)
    if x == 3:
        raise TimeoutError("the service timed out")
    return x


@pytest.mark.parametrize("after", ["batch_within", "timeout", "timeout | batch_within"])
async def test_an_upstream_timeout_error_passes_through_a_timer_stage_unchanged(after: str) -> None:
    """A user function's TimeoutError is that stage's error, not the timer's: it reaches the consumer as itself
    (it used to end batch_within in an endless stream of empty batches, and timeout() replaced it)."""
    src = ts.source(range(10)).map(_times_out_at_3)
    if after.startswith("timeout"):
        src = src.timeout(5.0)
    out: list[object] = []
    with pytest.raises(TimeoutError, match="the service timed out") as info:
        async with asyncio.timeout(2):
            if after.endswith("batch_within"):
                async for batch in src.batch_within(5, 0.05):
                    assert batch, "a batch is never empty"
                    out.append(batch)
            else:
                out.extend(await src.collect())
    assert any("stage '_times_out_at_3' failed on element 3" in n for n in notes(info.value))
    assert not any("stage 'timeout'" in n for n in notes(info.value))


async def test_a_batch_within_timer_still_fires_after_an_upstream_delay() -> None:
    async def slow_after_two(x: int) -> int:
        await asyncio.sleep(0.3 if x == 2 else 0)
        return x

    got = await ts.source(range(4)).map(slow_after_two).batch_within(10, 0.05).collect()
    assert got == [[0, 1], [2, 3]]
