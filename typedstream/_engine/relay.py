"""A task pulling ahead of demand into a bounded queue: ``buffer``, timers and ``merge`` are built on it, and the
engine inserts one every ``RELAY_EVERY`` async boundaries so that pulling never recurses deeply."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import Any

from .chain import Chunks
from .tasks import cancel_and_wait

__all__ = ["Relay", "relayed"]


class Relay:
    """Pulls ``upstream`` in a task of its own, holding at most ``limit`` elements (None: one chunk at a time,
    a pure task boundary). ``get`` returns everything queued as one chunk."""

    def __init__(self, upstream: Chunks, limit: int | None, arrived: asyncio.Event | None = None) -> None:
        self.upstream = upstream
        self.limit = limit
        self.queue: deque[list[Any]] = deque()
        self.count = 0
        self.finished = False
        self.error: BaseException | None = None
        self.data = arrived or asyncio.Event()  # several relays may signal one event (merge)
        self.space = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def _full(self) -> bool:
        if self.limit is None:
            return bool(self.queue)
        return self.count >= self.limit

    async def _pump(self) -> None:
        try:
            while True:
                await self._wait_for_space()  # before pulling: never hold a chunk while full
                chunk: list[Any] | None = await anext(self.upstream, None)
                if chunk is None:
                    return
                while chunk:
                    await self._wait_for_space()
                    part = chunk
                    if self.limit is not None and self.count + len(chunk) > self.limit:
                        room = self.limit - self.count
                        part, chunk = chunk[:room], chunk[room:]
                    else:
                        chunk = []
                    self.queue.append(part)
                    self.count += len(part)
                    self.data.set()
        except Exception as e:
            self.error = e
        finally:
            self.finished = True
            self.data.set()

    async def _wait_for_space(self) -> None:
        while self._full():
            self.space.clear()
            await self.space.wait()

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self._pump(), name="typedstream:relay")

    async def get(self) -> list[Any] | None:
        """All queued elements as one chunk; None at the end. Raises the upstream error after its prefix."""
        self.start()
        while not self.queue:
            if self.finished:
                if self.error is not None:
                    raise self.error
                return None
            self.data.clear()
            await self.data.wait()
        if len(self.queue) == 1:
            chunk = self.queue.popleft()
        else:
            chunk = list(itertools.chain.from_iterable(self.queue))
            self.queue.clear()
        self.count = 0
        self.space.set()
        return chunk

    async def stop(self) -> None:
        if self.task is not None:
            await cancel_and_wait([self.task])


async def relayed(upstream: Chunks, *, limit: int | None) -> Chunks:
    """``upstream``'s chunks, pulled ahead in a task (see ``Relay``)."""
    r = Relay(upstream, limit)
    try:
        while (chunk := await r.get()) is not None:
            yield chunk
    finally:
        await r.stop()
