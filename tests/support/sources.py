"""Instrumented sources shared by the tests: they record what they hand out and when they are closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator


def counting(
    pulled: list[int], n: int | None = None, *, events: list[str] | None = None, label: str = "source"
) -> Iterator[int]:
    """A sync generator of 0, 1, ... (``n`` of them, or endless) that records each element it hands out in
    ``pulled`` and appends ``label`` to ``events`` when it is closed."""
    i = 0
    try:
        while n is None or i < n:
            pulled.append(i)
            yield i
            i += 1
    finally:
        if events is not None:
            events.append(label)


async def acounting(
    pulled: list[int],
    n: int | None = None,
    *,
    events: list[str] | None = None,
    delay: float = 0.0,
    label: str = "source",
) -> AsyncIterator[int]:
    """The async generator counterpart of ``counting``, sleeping ``delay`` before each element."""
    i = 0
    try:
        while n is None or i < n:
            await asyncio.sleep(delay)
            pulled.append(i)
            yield i
            i += 1
    finally:
        if events is not None:
            events.append(label)


class FailsFirst:
    """A stage function (sync; ``asynchronous`` gives its async twin) that raises ConnectionError on its first
    ``failures`` calls, then returns its argument: a transient fault for retry tests."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.__name__ = "flaky"

    def __call__(self, x: int) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(x)
        return x

    async def asynchronous(self, x: int) -> int:
        await asyncio.sleep(0)
        return self(x)
