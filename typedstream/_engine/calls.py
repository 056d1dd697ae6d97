"""Element stages that are async boundaries: the function is called per element, one call at a time or by a
pool of workers, each call timed and guarded in one place (``Stage.call``)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from .chain import Chunks
from .kernel import SKIPPED, Kernel
from .metrics import now
from .stage import Stage
from .tasks import cancel_and_wait, cancelled_again

__all__ = ["Pool", "finish", "kernel_of", "sequential"]


def finish(st: Stage, kern: Kernel, done: list[tuple[Any, Any]]) -> list[Any]:
    """The output for elements whose calls ended, as ``(element, result)`` pairs, in order; a skipped element
    (counted when it was skipped) gives none. Stops at the first element after which the kernel wants no more
    (``take_while``)."""
    out: list[Any] = []
    for x, r in done:
        if r is SKIPPED:
            continue
        st.items_in += 1
        given = kern.post([x], [r])
        if given:
            out.extend(given)
        elif st.filters:
            st.filtered += 1
        if kern.done:
            break
    return out


def kernel_of(st: Stage) -> tuple[Kernel, Callable[[Any], Any]]:
    assert st.op.kernel is not None
    kern = st.op.kernel()
    assert kern.fn is not None
    return kern, kern.fn


async def sequential(upstream: Chunks, st: Stage) -> Chunks:
    """One call at a time; each result is passed on at once, so latency stays per element. (``finish`` for one
    element, inlined: this loop runs per element.)"""
    kern, fn = kernel_of(st)
    call, post = st.call, kern.post
    async for chunk in upstream:
        for x in chunk:
            try:
                r = await call(fn, x)
            except Exception:
                st.items_in += 1  # a failure is done with; a cancelled call is not (it never finished)
                raise
            st.items_in += 1
            if r is SKIPPED:
                continue
            out = post([x], [r])
            if out:
                yield out
            elif st.filters:
                st.filtered += 1
            if kern.done:
                return
    rest = kern.flush()
    if rest:
        yield rest


class Pool:
    """``concurrency`` workers pull elements under a lock and call the function.

    Ordered mode releases results in input order; a worker may start element i only while fewer than
    ``window`` elements are undelivered, so free workers keep going behind a slow head until the window is full.
    A retrying element keeps its worker (and its place in the window) while the others go on.
    The first failure surfaces at once (results in flight are dropped); an upstream failure surfaces after the
    results of the elements pulled before it.
    """

    def __init__(self, upstream: Chunks, st: Stage) -> None:
        self.upstream = upstream
        self.st = st
        self.kern, self.fn = kernel_of(st)
        self.concurrency = st.op.concurrency
        self.window = st.op.window
        self.ordered = st.op.ordered
        self.pending: deque[Any] = deque()  # pulled from upstream, not yet taken by a worker
        self.input_lock = asyncio.Lock()
        self.wake = asyncio.Event()  # a result, an error or a worker exit happened
        self.space = asyncio.Event()  # the consumer took results: the window has room
        self.results: dict[int, tuple[Any, Any]] = {}  # ordered: by input index
        self.ready: list[tuple[Any, Any]] = []  # unordered: as they come
        self.started = 0  # elements handed to workers
        self.delivered = 0  # elements whose results were taken
        self.active = self.concurrency  # workers still running
        self.input_done = False
        self.failures: list[BaseException] = []
        self.upstream_failure: BaseException | None = None

    gather_time = 0.0
    """Seconds a worker may wait for more input to fill its batch, once it has some."""

    def _batch(self) -> int:
        """Elements a worker takes at a time."""
        return 1

    async def _next_inputs(self) -> list[tuple[int, Any]]:
        """Up to ``_batch()`` elements for a worker, with their input indexes; [] at the end of the input."""
        async with self.input_lock:
            while self.started - self.delivered >= self.window:
                self.space.clear()
                await self.space.wait()
            pending = self.pending
            want = self._batch()
            gather_until = now() + self.gather_time if want > 1 else 0.0
            # Fill a batch from upstream, but hold back no element longer than gather_time to fill it.
            while len(pending) < want and not self.input_done and (not pending or now() < gather_until):
                try:
                    pending.extend(await anext(self.upstream))
                except StopAsyncIteration:
                    self.input_done = True
                except Exception as e:
                    self.upstream_failure = e
                    self.input_done = True
            if not pending:
                return []
            idx = self.started
            n = min(want, len(pending))
            self.started = idx + n
            return [(idx + i, pending.popleft()) for i in range(n)]

    async def _worker(self) -> None:
        try:
            while not self.failures:
                if (again := cancelled_again()) is not None:
                    raise again  # cancelled while user code swallowed it: take no further element
                items = await self._next_inputs()
                if not items:
                    return
                await self._run(items)
        finally:
            self.active -= 1
            self.wake.set()

    async def _run(self, items: list[tuple[int, Any]]) -> None:
        """Call the function on the elements a worker took: here, one."""
        [(idx, x)] = items
        try:
            r = await self.st.call(self.fn, x)
        except Exception as e:
            self._failed(e)
            return
        self._done(idx, x, r)

    def _failed(self, e: BaseException) -> None:
        """A call failed for good (noted and counted as failed by the stage): the pool stops."""
        self.st.items_in += 1
        self.failures.append(e)

    def _done(self, idx: int, x: Any, r: Any) -> None:
        if r is SKIPPED:
            self.st.items_in += 1  # done with now, though its place in the order is released later
        if self.ordered:
            self.results[idx] = (x, r)  # a skipped element keeps its place, so order moves past it
        else:
            self.ready.append((x, r))
        self.wake.set()

    def _finish(self, taken: list[tuple[Any, Any]]) -> list[Any]:
        return finish(self.st, self.kern, taken)

    def _take(self) -> list[tuple[Any, Any]]:
        """The results that may be released now."""
        if not self.ordered:
            ready = self.ready
            self.ready = []
            return ready
        taken: list[tuple[Any, Any]] = []
        head = self.delivered
        while head in self.results:
            taken.append(self.results.pop(head))
            head += 1
        return taken

    async def chunks(self) -> Chunks:
        name = self.st.name
        workers = [asyncio.create_task(self._worker(), name=f"typedstream:{name}:{i}") for i in range(self.concurrency)]
        try:
            while True:
                if self.failures:
                    raise self.failures[0]
                taken = self._take()
                if taken:
                    self.delivered += len(taken)
                    self.space.set()
                    out = self._finish(taken)
                    if out:
                        yield out
                    if self.kern.done:
                        return
                    continue
                if self.active == 0:
                    if self.upstream_failure is not None:
                        raise self.upstream_failure
                    rest = self.kern.flush()
                    if rest:
                        yield rest
                    return
                self.wake.clear()
                await self.wake.wait()
        finally:
            await cancel_and_wait(workers)
            try:
                await self._ended()
            finally:
                self._note_other_failures()

    async def _ended(self) -> None:
        """The workers have stopped: what else the pool started must end before the stage does."""

    def _note_other_failures(self) -> None:
        """One outcome per run: the first error, the others named on it."""
        failures = self.failures
        if len(failures) > 1:
            others = ", ".join(f"{type(e).__name__}: {e}" for e in failures[1:6])
            more = f" and {len(failures) - 6} more" if len(failures) > 6 else ""
            failures[0].add_note(
                f"typedstream: {len(failures) - 1} other call(s) of stage {self.st.name!r} also failed: {others}{more}"
            )
