"""An element stage whose function runs on an executor: the ``Pool`` of element stages, where each worker takes a
chunk of elements and runs it as one remote task.

``concurrency`` bounds the remote tasks in flight. Chunks are sized from what the first tasks measured, so a task
carries at least ``MIN_TASK`` seconds of calls and at least twenty times the least time seen sending one. One
outcome per element comes back, so the stage's guard (retry, catch, skip, dead letters) and its counts are per
element, as on the loop: a failed element is retried alone, as a task of its own, and the rest of its chunk is
kept. A task lost as a whole (its worker died) is split in halves until one element is alone; that element is
tried again while no other task of the stage runs, and if its task is lost then too, the loss is its failure.
"""

from __future__ import annotations

import asyncio
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .calls import Pool
from .chain import MAX_CHUNK, Chunks
from .executors import Payload, Remote, decode, encode, land, launch
from .guard import annotate
from .metrics import now
from .stage import Stage

__all__ = ["GATHER_TIME", "MIN_TASK", "RemotePool"]

MIN_TASK = 0.1
"""Seconds of calls a remote task carries at least, once the calls' time is known: Dask's own advice (its
scheduler spends about 3 ms per task), and it keeps a process pool's parent at a few microseconds of CPU per
element (about 1 ms per task, in the loop and the pool's threads)."""
GATHER_TIME = 0.02
"""Seconds a worker waits for more input to fill a chunk once it has some: a slow source is not held back."""
OVERHEAD_SHARE = 20
"""A task carries at least this many times the least time seen spent sending and returning one."""


class RemotePool(Pool):
    def __init__(self, upstream: Chunks, st: Stage) -> None:
        super().__init__(upstream, st)
        remote = st.op.remote
        assert remote is not None
        self.remote: Remote = remote
        self.chunk = remote.chunk_size or 1  # before anything is measured: a call may take seconds
        self.per_call: float | None = None  # seconds per call on the worker, smoothed
        self.overhead = float("inf")  # the least seconds seen outside the calls per task: sending, returning
        self.window = self.concurrency * self.chunk
        self.in_flight = 0  # tasks submitted and not landed
        self.settled = asyncio.Event()  # a task landed
        self.suspects = asyncio.Lock()  # one suspect at a time is tried alone
        self.clear = asyncio.Event()  # no suspect is being tried: tasks may be submitted
        self.clear.set()

    gather_time = GATHER_TIME

    def _batch(self) -> int:
        return self.chunk

    async def _run(self, items: list[tuple[int, Any]]) -> None:
        st = self.st
        try:
            outcomes = await self.calls([x for _, x in items])
        except Exception as e:  # the executor refused a task: nothing more can run on it
            if isinstance(e, BrokenProcessPool):
                e.add_note(
                    "typedstream: a concurrent.futures.ProcessPoolExecutor cannot run anything once one of its "
                    "workers died; typedstream.ProcessPool replaces its broken pool, so the stage's retry= or "
                    "on_error='skip' can deal with the element that killed it"
                )
            st.failed += 1
            self._failed(annotate(e, st.name, has_element=False))
            return
        for (idx, x), (ok, value) in zip(items, outcomes):
            if ok:
                r = value
            else:
                try:
                    r = await st.settle(self.one, x, value, [0.0])
                except Exception as e:
                    self._failed(e)
                    return
            self._done(idx, x, r)

    async def one(self, x: Any) -> Any:
        """A retry: ``x`` alone as a task; its value, or its exception raised."""
        [(ok, value)] = await self.calls([x])
        if not ok:
            raise value
        return value

    async def calls(self, xs: list[Any], *, alone: bool = False) -> list[tuple[bool, Any]]:
        """One outcome per element of ``xs``: ``(True, value)`` or ``(False, exception)``. ``alone``: run while
        no other task of the stage is in flight (a suspect whose task was lost)."""
        payload, unsendable = encode(self.remote, xs)
        if unsendable:  # those fail alone; the others go
            rest = [x for i, x in enumerate(xs) if i not in unsendable]
            got = iter(await self.calls(rest) if rest else ())
            return [(False, unsendable[i]) if i in unsendable else next(got) for i in range(len(xs))]
        if not alone:
            await self.clear.wait()  # a suspect is being tried alone
        started = now()
        task = launch(self.remote, self.fn, payload)
        self.in_flight += 1
        back: Payload | None = None
        lost: Exception | None = None
        try:
            back = await land(self.remote, task)
        except Exception as e:
            lost = e
        finally:
            self.in_flight -= 1
            self.settled.set()
        if back is not None:
            self._measured(back.times or [], now() - started)
            return decode(back)
        assert lost is not None
        if len(xs) > 1:
            half = len(xs) // 2
            return await self.calls(xs[:half]) + await self.calls(xs[half:])
        if alone:
            lost.add_note(
                f"typedstream: the task running this element on {self.remote.label} was lost, also when it ran "
                "alone (its worker died: os._exit, a crash or the out-of-memory killer)"
            )
            return [(False, lost)]
        return await self._alone(xs)

    async def _alone(self, xs: list[Any]) -> list[tuple[bool, Any]]:
        """A lone element whose task was lost: a dying worker also takes the other tasks it held, so only a task
        lost while nothing else of the stage runs names its element. The stage's other tasks wait meanwhile."""
        async with self.suspects:
            self.clear.clear()
            try:
                while self.in_flight:
                    self.settled.clear()
                    await self.settled.wait()
                return await self.calls(xs, alone=True)
            finally:
                self.clear.set()

    def _measured(self, times: list[float], took: float) -> None:
        st = self.st
        work = sum(times)
        st.busy += work
        latency = st.latency
        for t in times:
            latency.add(t)
        outside = max(0.0, took - work)
        st.dispatch += outside
        if self.remote.chunk_size is not None or not times:
            return
        per_call = work / len(times)
        self.per_call = per_call if self.per_call is None else 0.7 * self.per_call + 0.3 * per_call
        self.overhead = min(self.overhead, outside)
        target = max(MIN_TASK, OVERHEAD_SHARE * self.overhead)
        self.chunk = max(1, min(MAX_CHUNK, int(target / max(self.per_call, 1e-7))))
        self.window = self.concurrency * self.chunk
