"""Element stages whose functions run on an executor: the ``Pool`` of element stages, where each worker takes a
chunk of elements and runs it as one remote task. Consecutive one-to-one stages on the same executor (with the
same concurrency, order and chunk size) are one such pool: each element goes through all of them in one task.

``concurrency`` bounds the remote tasks in flight. Chunks are sized from what the first tasks measured, so a task
carries at least ``MIN_TASK`` seconds of calls and at least twenty times the least time seen sending one. One
outcome per element comes back, so the stage's guard (retry, catch, skip, dead letters) and its counts are per
element, as on the loop: a failed element is retried alone, as a task of its own, and the rest of its chunk is
kept. A task lost as a whole (its worker died) is split in halves until one element is alone; that element is
tried again while no other task of the stage runs, and if its task is lost then too, the loss is its failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from typing_extensions import override

from .calls import Pool, kernel_of
from .chain import MAX_CHUNK, Chunks, Limits
from .executors import DONE, DROPPED, FAILED, Payload, Remote, decode_chain, encode, land, launch
from .guard import annotate
from .kernel import SKIPPED, Kernel
from .metrics import now
from .stage import Stage
from .tasks import cancel_and_wait

__all__ = ["GATHER_TIME", "MIN_TASK", "RemotePool", "same_executor"]

MIN_TASK = 0.1
"""Seconds of calls a remote task carries at least, once the calls' time is known: Dask's own advice (its
scheduler spends about 3 ms per task), and it keeps a process pool's parent at a few microseconds of CPU per
element (about 1 ms per task, in the loop and the pool's threads)."""
GATHER_TIME = 0.02
"""Seconds a worker waits for more input to fill a chunk once it has some: a slow source is not held back."""
OVERHEAD_SHARE = 20
"""A task carries at least this many times the least time seen spent sending and returning one."""


def same_executor(a: Stage, b: Stage) -> bool:
    """Whether ``b`` can run in the same remote tasks as ``a``, right after it."""
    ra, rb, oa, ob = a.op.remote, b.op.remote, a.op, b.op
    return (
        ra is not None
        and rb is not None
        and (ra.executor if ra.executor is not None else ra.client) is (rb.executor if rb.executor is not None else rb.client)
        and ra.chunk_size == rb.chunk_size
        and (oa.concurrency, oa.ordered) == (ob.concurrency, ob.ordered)
        and oa.limits is None  # a limited stage's tasks are its own: one element each, a token and a timeout each
        and ob.limits is None
    )


class RemotePool(Pool):
    """``stages``: one, or consecutive one-to-one stages on the same executor."""

    def __init__(self, upstream: Chunks, stages: list[Stage]) -> None:
        super().__init__(upstream, stages[0])
        remote = stages[0].op.remote
        assert remote is not None
        self.remote: Remote = remote
        self.stages = stages
        self.kernels: tuple[Kernel, ...] = (self.kern, *(kernel_of(st)[0] for st in stages[1:]))
        self.last = len(stages) - 1
        self.chunk = remote.chunk_size or 1  # before anything is measured: a call may take seconds
        self.sized = remote.chunk_size is None and stages[0].limits is None  # else the chunk stays as it is
        self.overdue: list[asyncio.Task[Payload]] = []  # tasks that timed out, still running: the pool outlives them
        limits = stages[0].limits
        # With timeout=: at most `concurrency` (<= the workers) calls on the executor, overdue ones included.
        self.slots = None if limits is None or limits.timeout is None else asyncio.Semaphore(self.concurrency)
        self.per_call: float | None = None  # seconds of calls per element on the worker, smoothed
        self.overhead = float("inf")  # the least seconds seen outside the calls per task: sending, returning
        self.window = self.concurrency * self.chunk
        self.in_flight = 0  # tasks submitted and not landed
        self.settled = asyncio.Event()  # a task landed
        self.suspects = asyncio.Lock()  # one suspect at a time is tried alone
        self.clear = asyncio.Event()  # no suspect is being tried: tasks may be submitted
        self.clear.set()

    gather_time = GATHER_TIME

    @override
    def _batch(self) -> int:
        return self.chunk

    # -- counting: each stage counts an element once it is done with it; the last stage when it is delivered

    @override
    def _done(self, idx: int, x: Any, r: Any) -> None:
        if self.ordered:
            self.results[idx] = (x, r)  # an element that gives nothing keeps its place, so order moves past it
        else:
            self.ready.append((x, r))
        self.wake.set()

    @override
    def _finish(self, taken: list[tuple[Any, Any]]) -> list[Any]:
        """``taken``: per element, the last stage's outputs (a list), or ``SKIPPED``."""
        last = self.stages[-1]
        out: list[Any] = []
        for _, r in taken:
            if r is SKIPPED:
                continue  # skipped, or ended at an earlier stage: counted then
            last.items_in += 1
            if r:
                out.extend(r)
            elif last.filters:
                last.filtered += 1
        return out

    def _passed(self, start: int, stop: int) -> None:
        """An element went through the stages ``start`` to ``stop - 1``, none of them the last."""
        for st in self.stages[start : min(stop, self.last)]:
            st.items_in += 1
            st.items_out += 1

    # -- running

    @override
    async def _run(self, items: list[tuple[int, Any]]) -> None:
        sent = asyncio.get_running_loop().time()  # the elements' first calls start about now (a deadline's start)
        try:
            outcomes = await self._chain([x for _, x in items], 0)
        except Exception as e:  # the executor refused a task: nothing more can run on it
            self._refused(e)
            return
        for (idx, x), outcome in zip(items, outcomes):
            try:
                r = await self._resolve(outcome, 0, sent)
            except _Failed as f:
                self.stages[f.stage].items_in += 1
                self.failures.append(f.error)
                return
            except Exception as e:
                self._refused(e)
                return
            self._done(idx, x, r)

    def _refused(self, e: Exception) -> None:
        st = self.stages[0]
        if isinstance(e, BrokenProcessPool):
            e.add_note(
                "typedstream: a concurrent.futures.ProcessPoolExecutor cannot run anything once one of its "
                "workers died; typedstream.ProcessPool replaces its broken pool, so the stage's retry= or "
                "on_error='skip' can deal with the element that killed it"
            )
        st.failed += 1
        st.items_in += 1
        self.failures.append(annotate(e, st.name, has_element=False))

    async def _resolve(self, outcome: tuple[int, int, Any], start: int, sent: float | None = None) -> Any:
        """What an element's outcome from the stages ``start`` on gives: the last stage's outputs (a list), or
        ``SKIPPED`` (nothing to deliver). A failed call goes to its stage's guard, as on the loop; after a
        retry the element goes on through the stages after it."""
        while True:
            what, k, value = outcome
            self._passed(start, k)
            if what == DONE:
                return value
            st = self.stages[k]
            if what == DROPPED:  # by a stage before the last
                st.items_in += 1
                st.filtered += 1
                return SKIPPED
            inp, exc = value
            try:
                r = await st.settle(self._alone_call(k), inp, exc, [0.0], sent if k == 0 else None)
            except Exception as e:
                raise _Failed(k, e) from None
            if r is SKIPPED:
                st.items_in += 1
                return SKIPPED
            given = self.kernels[k].post([inp], [r])
            if k == self.last:
                return given
            st.items_in += 1
            if not given:
                st.filtered += 1
                return SKIPPED
            st.items_out += 1
            [outcome] = await self._chain(given, k + 1)
            start = k + 1

    def _alone_call(self, k: int) -> Callable[[Any], Any]:
        raw = (Kernel(self.kernels[k].fn),)  # the call's result as it is: the guard gives it to the kernel

        async def call(x: Any) -> Any:
            """A retry of stage ``k`` on ``x``: a task of its own; the call's value, or its exception raised."""
            [(what, _, value)] = await self._task(raw, k, [x])
            if what != DONE:
                raise value[1]
            return value[0]

        return call

    async def _chain(self, xs: list[Any], start: int) -> list[tuple[int, int, Any]]:
        """Each of ``xs`` through the stages ``start`` on, as one task: an outcome each (stage indexes absolute)."""
        return [(what, k + start, value) for what, k, value in await self._task(self.kernels[start:], start, xs)]

    async def _task(self, kernels: tuple[Kernel, ...], start: int, xs: list[Any], *, alone: bool = False) -> list[Any]:
        """``run_chain(kernels)`` (the stages from ``start``) over ``xs`` as one task: an outcome per element. An
        element that cannot be sent fails alone; a task lost as a whole is split until one element is alone,
        which is tried alone (``_alone``); lost then too, its loss is its failure."""
        payload, unsendable = encode(self.remote, xs)
        if unsendable:
            rest = [x for i, x in enumerate(xs) if i not in unsendable]
            got = iter(await self._task(kernels, start, rest) if rest else ())
            return [(FAILED, 0, (x, unsendable[i])) if i in unsendable else next(got) for i, x in enumerate(xs)]
        if not alone:
            await self.clear.wait()  # a suspect is being tried alone
        limits = self.stages[start].limits
        if limits is not None and limits.rate_limit is not None:
            await self._token(limits, xs, start)
        if limits is not None and limits.timeout is not None:
            assert self.slots is not None
            await self.slots.acquire()  # released when the task's call has ended, timed out or not
        started = now()
        try:
            task = launch(self.remote, kernels, payload)
        except BaseException:
            if self.slots is not None and limits is not None and limits.timeout is not None:
                self.slots.release()
            raise
        self.in_flight += 1
        back: Payload | None = None
        lost: Exception | None = None
        try:
            if limits is not None and limits.timeout is not None:
                back = await self._within(limits.timeout, task, start)
            else:
                back = await land(self.remote, task)
        except TimeoutError as e:  # one element per task here
            return [(FAILED, 0, (xs[0], e))]
        except Exception as e:
            lost = e
        finally:
            self.in_flight -= 1
            self.settled.set()
        if back is not None:
            self._measured(back.times or [], start, len(xs), now() - started)
            return decode_chain(back)
        assert lost is not None
        if len(xs) > 1:
            half = len(xs) // 2
            return await self._task(kernels, start, xs[:half]) + await self._task(kernels, start, xs[half:])
        if alone:
            lost.add_note(
                f"typedstream: the task running this element on {self.remote.label} was lost, also when it ran "
                "alone (its worker died: os._exit, a crash or the out-of-memory killer)"
            )
            return [(FAILED, 0, (xs[0], lost))]
        return await self._alone(kernels, start, xs)

    async def _token(self, limits: Limits, xs: list[Any], start: int) -> None:
        st = self.stages[start]
        assert limits.rate_limit is not None
        await st.token(limits.rate_limit, len(xs) if limits.cost is None else sum(st.cost(limits.cost, x) for x in xs))

    async def _within(self, seconds: float, task: Any, start: int) -> Payload:
        """The task's outcome, or ``TimeoutError`` after ``seconds``. An executor cannot interrupt a call: one
        that timed out runs on, holding its worker and its place among the stage's tasks (``slots``) until it
        ends, so no later task waits behind it on the executor with its time running; the pool waits for it
        when it ends, so nothing outlives the run."""
        landing = asyncio.ensure_future(land(self.remote, task))
        slots = self.slots
        assert slots is not None
        landing.add_done_callback(lambda _: slots.release())
        try:
            await asyncio.wait([landing], timeout=seconds)
        except BaseException:
            await cancel_and_wait([landing])
            raise
        if landing.done():
            return landing.result()
        self.overdue.append(landing)
        after = f"; it runs on to its end on {self.remote.label}, and the run waits for it"
        raise self.stages[start].time_out(seconds, after)

    @override
    async def _ended(self) -> None:
        if self.overdue:
            await cancel_and_wait(self.overdue)  # a running call is waited for (land), a queued one dropped
            for t in self.overdue:
                if not t.cancelled():
                    t.exception()  # its outcome no longer matters: the element already timed out

    async def _alone(self, kernels: tuple[Kernel, ...], start: int, xs: list[Any]) -> list[Any]:
        """A lone element whose task was lost: a dying worker also takes the other tasks it held, so only a task
        lost while nothing else of the stage runs names its element. The stage's other tasks wait meanwhile."""
        async with self.suspects:
            self.clear.clear()
            try:
                while self.in_flight:
                    self.settled.clear()
                    await self.settled.wait()
                return await self._task(kernels, start, xs, alone=True)
            finally:
                self.clear.set()

    def _measured(self, times: list[list[float]], start: int, n: int, took: float) -> None:
        """A task's calls: ``times[i]`` are the calls of stage ``start + i`` (busy time, latency)."""
        work = 0.0
        for st, calls in zip(self.stages[start:], times):
            spent = sum(calls)
            work += spent
            st.busy += spent
            latency = st.latency
            for t in calls:
                latency.add(t)
        outside = max(0.0, took - work)
        self.stages[start].dispatch += outside
        if not self.sized or not n:
            return
        per_call = work / n
        self.per_call = per_call if self.per_call is None else 0.7 * self.per_call + 0.3 * per_call
        self.overhead = min(self.overhead, outside)
        target = max(MIN_TASK, OVERHEAD_SHARE * self.overhead)
        self.chunk = max(1, min(MAX_CHUNK, int(target / max(self.per_call, 1e-7))))
        self.window = self.concurrency * self.chunk


class _Failed(Exception):
    """An element's call failed for good at ``stage`` (noted and counted there)."""

    def __init__(self, stage: int, error: Exception) -> None:
        self.stage = stage
        self.error = error
