"""The engine: compiles a Source into a chain of chunk generators and owns the run's scope.

Plan: adjacent fusable ops (sync kernels) become one ``fused`` loop; every other op is an async boundary. Elements
cross boundaries as non-empty lists (chunks). A ``Run`` registers every generator and task it creates and closes
them once, downstream first, whatever ends the run. Pull depth is bounded: after every ``RELAY_EVERY`` async
boundaries a relay task restarts the await chain, so 10,000 stages never recurse 10,000 deep.
"""

from __future__ import annotations

import asyncio
import builtins
import inspect
import itertools
import operator
import reprlib
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from ._errors import DeadLetter
from ._kernels import Caught, Kernel
from ._metrics import Histogram, Inlet, Waits, now
from ._op import Chunks, Guard, Op, Origin

if TYPE_CHECKING:
    import random

    from ._sink import Sink
    from ._source import Source

__all__ = ["Run", "Stage", "compile_source"]

MAX_CHUNK = 1024  # elements per chunk from a sync iterable, reached by doubling from 1
RELAY_EVERY = 64  # async boundaries per task before a relay restarts the await chain

_map = builtins.map
_filter = builtins.filter
_remaining = operator.length_hint
_isawaitable = inspect.isawaitable
_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80


def describe(x: object) -> str:
    return _repr.repr(x)


def annotate(exc: BaseException, stage: str, element: object = None, *, has_element: bool = True) -> BaseException:
    """Attach the failing stage (and element) to an exception, once: the stage where it first surfaced."""
    if getattr(exc, "__typedstream_stage__", None) is None:
        try:
            exc.__typedstream_stage__ = stage  # type: ignore[attr-defined]
        except AttributeError:  # exceptions with __slots__ and no __dict__: notes still work
            pass
        where = f" on element {describe(element)}" if has_element else ""
        exc.add_note(f"typedstream: stage {stage!r} failed{where}")
    return exc


async def cancel_and_wait(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until every one has finished.

    If the caller is cancelled meanwhile, the tasks are still awaited to the end, then the caller's
    cancellation is raised: it is never swallowed, and no task outlives the caller's cleanup.
    """
    for t in tasks:
        t.cancel()
    interrupted: asyncio.CancelledError | None = None
    while not all(t.done() for t in tasks):
        try:
            # asyncio.wait never raises the tasks' own outcomes (a generator that awaited a failed future
            # stays marked as running on 3.11).
            await asyncio.wait([t for t in tasks if not t.done()])
        except asyncio.CancelledError as e:
            interrupted = e
            for t in tasks:
                t.cancel()
    for t in tasks:
        if not t.cancelled():
            t.exception()  # retrieved: a worker's error is reported through the stage, not logged as lost
    if interrupted is not None:
        raise interrupted


def close_iterator(it: object) -> None:
    """Close a sync iterator that can be closed (a generator); others need nothing."""
    close = getattr(it, "close", None)
    if close is not None:
        close()


async def aclose_iterator(it: object) -> None:
    """Close an async iterator that can be closed (an async generator), so the GC never has to."""
    aclose = getattr(it, "aclose", None)
    if aclose is not None:
        await aclose()


class Run:
    """The scope of one run: everything opened in it is closed once, in reverse order of opening."""

    __slots__ = ("_closers", "_closed", "_names", "stages", "letters", "output")

    def __init__(self) -> None:
        self._closers: list[Callable[[], Awaitable[object]]] = []
        self._closed = False
        self._names: set[str] = set()
        self.stages: list[Stage] = []  # in pipeline order: the run's per-stage accounting
        self.output = Waits()  # the consumer's side of the last boundary: what the run delivered
        self.letters: list[_DeadLetters] = []  # dead-letter sinks started in this run

    def own(self, gen: AsyncIterator[Any]) -> AsyncIterator[Any]:
        aclose = getattr(gen, "aclose", None)
        if aclose is not None:
            self._closers.append(aclose)
        return gen

    def stage(self, op: Op) -> Stage:
        """A new stage of this run, named uniquely: a repeated name gets ``#2``, ``#3``, ..."""
        name, n = op.name, 1
        while name in self._names:
            n += 1
            name = f"{op.name}#{n}"
        self._names.add(name)
        st = Stage(op, self, name)
        self.stages.append(st)
        return st

    async def aclose(self, cancelled: bool = False) -> None:
        """Close everything downstream first, then let the dead-letter sinks finish (or, when the run was
        cancelled, cancel them: a cancelled run must not wait on a sink). A second call is a no-op."""
        if self._closed:
            return
        self._closed = True
        first: BaseException | None = None
        while self._closers:
            closer = self._closers.pop()
            try:
                await closer()
            except BaseException as e:  # keep closing the rest; report the first failure
                first = first or e
        for letters in self.letters:
            try:
                await (letters.abandon() if cancelled else letters.finish())
            except BaseException as e:
                first = first or e
        if first is not None:
            raise first


SKIPPED: Any = object()  # the result of an element a stage skipped; removed before the kernel sees the chunk


class Stage:
    """One stage in one run: its counters and, for a guarded stage, its error handling.

    Counters are per chunk in fused stages; an element counts as ``items_in`` once the stage is done with it
    (passed on, filtered, skipped or failed), so for a one-to-one stage
    ``items_in == items_out + filtered + skipped + failed`` whatever ended the run.
    """

    __slots__ = (
        "op", "name", "run", "guard", "items_in", "items_out", "skipped", "failed", "retried", "busy", "waits",
        "latency", "index", "waited", "_rng", "_letters",
    )  # fmt: skip

    def __init__(self, op: Op, run: Run, name: str) -> None:
        self.op = op
        self.name = name
        self.run = run
        self.busy = 0.0  # seconds inside user code (summed over concurrent calls)
        self.waits = Waits()  # shared by the stages of a fused segment
        self.latency = Histogram()  # per call, for stages that call per element
        self.index = len(run.stages)  # position in the run
        self.waited = [0.0]  # retry waits in the fused chunk being processed (one task: no interleaving)
        self.guard: Guard | None = op.guard
        self.items_in = 0
        self.items_out = 0
        self.skipped = 0
        self.failed = 0
        self.retried = 0
        self._rng: random.Random | None = None
        self._letters: _DeadLetters | None = None

    async def recover(self, fn: Callable[[Any], Any], x: Any, exc: Exception, waited: list[float]) -> Any:
        """``fn(x)`` raised ``exc`` on its first call. Retry as the policy says; then return the value, a
        ``Caught`` (try_map), ``SKIPPED``, or raise the last exception with the stage and element noted.

        Only ``Exception``s get here: a cancellation is never retried, caught or skipped.
        """
        guard = self.guard
        assert guard is not None
        retry = guard.retry
        attempts = 1
        if retry is not None:
            if self._rng is None:
                self._rng = retry.rng()
            while attempts < retry.attempts and isinstance(exc, retry.retry_on):
                self.retried += 1
                waiting = now()
                await retry.sleep(retry.backoff.delay(attempts, self._rng))
                waited[0] += now() - waiting  # the caller leaves it out of busy time; the latency keeps it
                attempts += 1
                try:
                    return await _call(fn, x)
                except Exception as e:
                    if e.__context__ is None and e is not exc:
                        e.__context__ = exc  # the earlier attempts stay visible in the traceback
                    exc = e
        if guard.catch and isinstance(exc, guard.catch):
            annotate(exc, self.name, x)
            return Caught(exc, attempts)
        if guard.skip:
            self.skipped += 1
            if guard.dead_letter is not None:
                if self._letters is None:
                    self._letters = _DeadLetters(guard.dead_letter, self.name)
                    self.run.letters.append(self._letters)
                await self._letters.put(DeadLetter(x, exc, self.name, attempts))
            return SKIPPED
        annotate(exc, self.name, x)
        if attempts > 1:
            exc.add_note(f"typedstream: gave up after {attempts} attempts")
        raise exc


_END: Any = object()


class _DeadLetters:
    """Feeds one stage's dead letters to its sink, which runs as a task until the run ends."""

    __slots__ = ("queue", "task", "stage", "sent", "taken")

    def __init__(self, sink: Sink[Any, object], stage: str) -> None:
        self.stage = stage
        self.sent = 0
        self.taken = 0
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=256)
        self.task = asyncio.create_task(sink.consume(self._chunks()), name=f"typedstream:{stage}:dead_letter")

    async def _chunks(self) -> Chunks:
        while (letter := await self.queue.get()) is not _END:
            chunk = [letter]
            while not self.queue.empty():
                letter = self.queue.get_nowait()
                if letter is _END:
                    self.taken += len(chunk)
                    yield chunk
                    return
                chunk.append(letter)
            self.taken += len(chunk)
            yield chunk

    async def put(self, letter: DeadLetter[Any]) -> None:
        if self.task.done():
            self._sink_ended()
        self.sent += 1
        try:
            self.queue.put_nowait(letter)
            return
        except asyncio.QueueFull:
            pass
        put = asyncio.ensure_future(self.queue.put(letter))
        try:
            await asyncio.wait([put, self.task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not put.done():
                await cancel_and_wait([put])
        if not put.done() or put.cancelled():
            self._sink_ended()

    def _sink_ended(self, detail: str = "") -> None:
        error = RuntimeError(f"stage {self.stage!r}: the dead-letter sink stopped before the run ended{detail}")
        if self.task.done() and not self.task.cancelled() and self.task.exception() is not None:
            raise error from self.task.exception()
        raise error

    async def abandon(self) -> None:
        await cancel_and_wait([self.task])

    async def finish(self) -> None:
        """Let the sink take every letter, then wait for it to end; its failure is the run's failure."""
        if not self.task.done():
            put = asyncio.ensure_future(self.queue.put(_END))
            try:
                await asyncio.wait([put, self.task], return_when=asyncio.FIRST_COMPLETED)
                await asyncio.wait([self.task])
            finally:  # also when the run is cancelled meanwhile: nothing outlives it
                await cancel_and_wait([put, self.task])
        if not self.task.cancelled() and (error := self.task.exception()) is not None:
            error.add_note(f"typedstream: the dead-letter sink of stage {self.stage!r} failed")
            raise error
        left = self.sent - self.taken
        if left:
            self._sink_ended(f" ({left} dead letter(s) not taken)")


# --------------------------------------------------------------------------------------------------- compile


def compile_source(src: Source[Any], run: Run, consumer: Waits) -> Chunks:
    """Build (without starting) the chunk generator chain of ``src``, pulled by ``consumer``. Runs no user code.

    Every boundary is an ``Inlet``, which times the waits on both of its sides.
    """
    origin = run.stage(Op(name="source", kind="source"))
    chunks = run.own(open_origin(src._origin, origin))  # pyright: ignore[reportPrivateUsage]
    producer = origin.waits
    segment: list[Stage] = []
    boundaries = 0

    def fuse() -> None:
        nonlocal chunks, producer, segment
        waits = Waits()
        for st in segment:
            st.waits = waits
        chunks = run.own(fused(Inlet(chunks, producer, waits), segment))
        producer, segment = waits, []

    for op in src._ops:  # pyright: ignore[reportPrivateUsage]
        st = run.stage(op)
        if op.fusable:
            segment.append(st)
            continue
        if segment:
            fuse()
        inlet = Inlet(chunks, producer, st.waits)
        chunks = run.own(op.open(inlet, run, st) if op.open is not None else element_stage(inlet, st))
        producer = st.waits
        boundaries += 1
        if boundaries % RELAY_EVERY == 0:  # not a stage: waits on its far side are not counted
            relayed = Waits()
            chunks = run.own(relay(Inlet(chunks, producer, relayed), limit=None))
            producer = relayed
    if segment:
        fuse()
    return Inlet(chunks, producer, consumer)


async def open_origin(origin: Origin, st: Stage) -> Chunks:
    """The source's chunks; ``st`` counts them as its output."""
    if origin.kind == "chunks":  # pre-chunked input: tests use it to check that chunking changes nothing
        for chunk in origin.items:
            if chunk:
                st.items_out += len(chunk)
                yield list(chunk)
        return
    if origin.kind == "aiterable":
        ait = aiter(origin.items)
        try:
            if origin.chunk_size is None:
                # Never wait to fill a chunk from an async source: one element is one chunk.
                async for x in ait:
                    st.items_out += 1
                    yield [x]
            else:
                group: list[Any] = []
                async for x in ait:
                    group.append(x)
                    if len(group) >= origin.chunk_size:
                        st.items_out += len(group)
                        yield group
                        group = []
                if group:
                    st.items_out += len(group)
                    yield group
        finally:
            await aclose_iterator(ait)
        return
    it: Iterator[Any] = iter(origin.items)
    try:
        seq = _sliceable(origin.items)
        if seq is not None and origin.chunk_size is None:
            # Cheap to slice: first chunks small (latency, little prefetch), then large (throughput).
            size, i, n = 1, 0, len(seq)
            while i < n:
                chunk = list(seq[i : i + size])
                st.items_out += len(chunk)
                yield chunk
                i += size
                size = min(size * 2, MAX_CHUNK)
            return
        size = origin.chunk_size or 1
        islice = itertools.islice
        while True:
            chunk = list(islice(it, size))
            if not chunk:
                return
            st.items_out += len(chunk)
            yield chunk
            if origin.chunk_size is None:
                size = min(size * 2, MAX_CHUNK)
    finally:
        close_iterator(it)


def _aiter_any(items: AsyncIterable[Any]) -> AsyncIterator[Any]:
    return aiter(items)


def _sliceable(items: object) -> Sequence[Any] | None:
    if isinstance(items, (list, tuple, range)):
        return cast("Sequence[Any]", items)
    return None


# ------------------------------------------------------------------------------------------------ sync fusion


async def _call_all(st: Stage, kern: Kernel, chunk: list[Any]) -> tuple[list[Any], list[Any], BaseException | None]:
    """Call the kernel's function on every element. Returns the elements that got a result, their results and
    the failure that stopped the chunk (None if none): on failure, the results of the elements before it.

    A plain callable may return awaitables (a lambda calling an async function): until a stage's results have
    been seen to be plain values (``proven_sync``, after one complete chunk), every result is checked and
    awaited in order, so no coroutine object is ever passed on. A guarded stage (retry, skip, try_map) handles
    each failing element and goes on with the rest; the success path is the same single ``extend`` for all.
    """
    fn = kern.fn
    assert fn is not None
    results: list[Any] = []
    failure: BaseException | None = None
    skipped = st.skipped
    try:
        results.extend(_map(fn, chunk))  # list.extend keeps what it got before an exception
    except Exception as e:
        failure = e
    else:
        if len(results) != len(chunk):  # a StopIteration escaping fn would end map() silently
            failure = _stop_iteration(st.name, "function")
    if failure is not None:
        if st.guard is None:
            annotate(failure, st.name, chunk[len(results)])
        else:
            failure = await _recover_rest(st, fn, chunk, results, failure)
    if not kern.proven_sync:
        if any(_map(_isawaitable, results)):
            failure = await _await_all(st, fn, chunk, results) or failure
        elif failure is None and results:
            kern.proven_sync = True
    if st.skipped != skipped:  # drop the skipped elements, keeping inputs and results aligned
        kept = [i for i, r in enumerate(results) if r is not SKIPPED]
        return [chunk[i] for i in kept], [results[i] for i in kept], failure
    return chunk if len(results) == len(chunk) else chunk[: len(results)], results, failure


def _stop_iteration(stage: str, what: str) -> RuntimeError:
    return RuntimeError(f"stage {stage!r}: the {what} raised StopIteration")


async def _recover_rest(
    st: Stage, fn: Callable[[Any], Any], chunk: list[Any], results: list[Any], exc: Exception | BaseException
) -> BaseException | None:
    """A guarded stage: ``exc`` came from ``chunk[len(results)]``. Recover each failing element (retry, catch,
    skip) and call the rest at full speed; return the failure that ends the chunk, if any."""
    n = len(chunk)
    while True:
        i = len(results)
        try:
            results.append(await st.recover(fn, chunk[i], cast(Exception, exc), st.waited))
        except Exception as e:
            return e
        if i + 1 == n:
            return None
        try:
            results.extend(_map(fn, itertools.islice(chunk, i + 1, None)))
        except Exception as e:
            exc = e
            continue
        if len(results) != n:
            exc = _stop_iteration(st.name, "function")
            continue
        return None


async def _await_all(st: Stage, fn: Callable[[Any], Any], chunk: list[Any], results: list[Any]) -> BaseException | None:
    """Await the awaitable results in order. On a failure, cut the results there and return it: it concerns an
    element before any failure found while calling."""
    for i, r in enumerate(results):
        if not _isawaitable(r):
            continue
        try:
            results[i] = await r
            continue
        except Exception as e:
            error: BaseException = e
        except BaseException as e:
            error = e
        if isinstance(error, Exception) and st.guard is not None:
            try:
                results[i] = await st.recover(fn, chunk[i], error, st.waited)
                continue
            except Exception as e:
                error = e
        for rest in results[i + 1 :]:
            _discard(rest)
        if not isinstance(error, Exception):
            raise error
        del results[i:]
        return annotate(error, st.name, chunk[i])
    return None


async def _select(st: Stage, pred: Callable[[Any], Any], chunk: list[Any]) -> tuple[list[Any], BaseException | None, int]:
    """``filter`` in C. Returns the kept elements, the failure and how many elements were decided.

    The failing element is found from how far the iterator got; a guarded stage recovers it and goes on.
    """
    out: list[Any] = []
    n = len(chunk)
    pos = 0
    while True:
        it = iter(chunk if pos == 0 else chunk[pos:])
        try:
            out.extend(_filter(pred, it))
        except Exception as e:
            failure: Exception = e
        else:
            if not _remaining(it):
                return out, None, n
            failure = _stop_iteration(st.name, "predicate")  # a StopIteration escaping pred ended filter()
        i = n - _remaining(it) - 1
        if st.guard is None:
            return out, annotate(failure, st.name, chunk[i]), i + 1
        try:
            keep = await st.recover(pred, chunk[i], failure, st.waited)
        except Exception as e:
            return out, e, i + 1
        if keep is not SKIPPED and keep:
            out.append(chunk[i])
        pos = i + 1
        if pos == n:
            return out, None, n


def _discard(pending: object) -> None:
    close = getattr(pending, "close", None)
    if close is not None and (inspect.iscoroutine(pending) or hasattr(pending, "__await__")):
        close()


async def _process(
    stages: list[Stage], kernels: list[Kernel], start: int, chunk: list[Any]
) -> tuple[list[Any], BaseException | None, int]:
    """Run ``chunk`` through kernels[start:]. Returns (output, error, index of the last done kernel or -1).

    A failure at element i of stage k behaves as if there were no chunks: the outputs of the elements before i
    go on through the later stages and are delivered, then the error is raised. If a later stage fails on that
    prefix, its error concerns an earlier element, so it is the one reported; if a later stage stops (take)
    on that prefix, the failing element would never have reached stage k, so there is no error at all.
    """
    err: BaseException | None = None
    failed_at = -1
    done_at = -1
    started = now()
    for idx in range(start, len(kernels)):
        if not chunk:
            break
        kern = kernels[idx]
        st = stages[idx]
        if kern.fn is None:
            st.items_in += len(chunk)
            chunk = kern.post(chunk, chunk)
        elif kern.selects and kern.proven_sync:
            chunk, failure, decided = await _select(st, kern.fn, chunk)
            st.items_in += decided
            if failure is not None:
                err, failed_at = failure, idx
        else:
            n_in = len(chunk)
            skipped = st.skipped
            inputs, results, failure = await _call_all(st, kern, chunk)
            if failure is not None:
                err, failed_at = failure, idx
                n_in = len(inputs) + st.skipped - skipped + 1
            st.items_in += n_in
            chunk = kern.post(inputs, results)
        st.items_out += len(chunk)
        finished = now()
        st.busy += finished - started - st.waited[0]  # a fused stage's retry waits, from recover()
        st.waited[0] = 0.0
        started = finished
        if kern.done:
            done_at = idx
    if err is not None:
        if done_at > failed_at:
            err = None  # the failing element would never have reached its stage: it is not in
            stages[failed_at].items_in -= 1
        else:
            stages[failed_at].failed += 1
    return chunk, err, done_at


async def fused(upstream: Chunks, stages: list[Stage]) -> Chunks:
    kernels = [st.op.start() for st in stages if st.op.start is not None]  # fresh state for every run
    done_at = max((i for i, kern in enumerate(kernels) if kern.done), default=-1)  # take(0)
    if done_at < 0:
        async for chunk in upstream:
            out, err, done_at = await _process(stages, kernels, 0, chunk)
            if out:
                yield out
            if err is not None:
                raise err
            if done_at >= 0:
                break
    # End of input (or a stage that wants no more): flush, in order, the stages after the last one that is
    # done; each flush goes through the stages after it and may itself make a later stage done.
    idx = done_at + 1
    while idx < len(kernels):
        rest = kernels[idx].flush()
        if rest:
            stages[idx].items_out += len(rest)
            out, err, later_done = await _process(stages, kernels, idx + 1, rest)
            if out:
                yield out
            if err is not None:
                raise err
            if later_done >= 0:
                idx = later_done
        idx += 1


# ------------------------------------------------------------------------------------------ element executor


async def _call(fn: Callable[[Any], Any], x: Any) -> Any:
    """``fn(x)``, awaited if it returns an awaitable (a plain callable may return one)."""
    r = fn(x)
    if _isawaitable(r):
        r = await r
    return r


async def _call_one(st: Stage, fn: Callable[[Any], Any], x: Any) -> Any:
    """One call of a stage's function: the value, or ``SKIPPED``/``Caught`` from a guarded stage; a failure is
    raised (the original exception, noted with the stage and element) and counted. Its time, retries
    included, is the element's latency."""
    started = now()
    waited: list[float] | None = None  # retry waits of this call (not busy time), only once a call failed
    try:
        return await _call(fn, x)
    except Exception as e:
        if st.guard is not None:
            waited = [0.0]
            try:
                return await st.recover(fn, x, e, waited)
            except Exception:
                st.failed += 1
                raise
        st.failed += 1
        annotate(e, st.name, x)  # the original exception goes on; the note says where
        raise
    finally:
        took = now() - started
        st.busy += took if waited is None else took - waited[0]
        st.latency.add(took)


def element_stage(upstream: Chunks, st: Stage) -> Chunks:
    if st.op.concurrency == 1:
        return _sequential(upstream, st)
    return _pool(upstream, st)


async def _sequential(upstream: Chunks, st: Stage) -> Chunks:
    assert st.op.start is not None
    kern = st.op.start()
    fn = kern.fn
    assert fn is not None
    async for chunk in upstream:
        for x in chunk:
            try:
                r = await _call_one(st, fn, x)
            except Exception:
                st.items_in += 1  # a failure is done with; a cancelled call is not (it never finished)
                raise
            st.items_in += 1
            if r is SKIPPED:
                continue
            out = kern.post([x], [r])
            if out:
                st.items_out += len(out)
                yield out  # one result at a time: latency stays per element
            if kern.done:
                return
    rest = kern.flush()
    if rest:
        st.items_out += len(rest)
        yield rest


async def _pool(upstream: Chunks, st: Stage) -> Chunks:
    """``concurrency`` workers pull elements under a lock and call the function.

    Ordered mode releases results in input order; a worker may start element i only while fewer than
    ``window`` elements are undelivered, so free workers keep going behind a slow head until the window is full.
    A retrying element keeps its worker (and its place in the window) while the others go on.
    The first failure surfaces at once (results in flight are dropped); an upstream failure surfaces after the
    results of the elements pulled before it.
    """
    op = st.op
    assert op.start is not None
    kern = op.start()
    fn, name, window, ordered = kern.fn, st.name, op.window, op.ordered
    assert fn is not None
    pending: deque[Any] = deque()
    input_lock = asyncio.Lock()
    wake = asyncio.Event()  # a result, an error or a worker exit happened
    space = asyncio.Event()  # the consumer took results: the window has room
    results: dict[int, tuple[Any, Any]] = {}
    ready: list[tuple[Any, Any]] = []
    state = {"next": 0, "delivered": 0, "active": op.concurrency, "input_done": False}
    failure: list[BaseException] = []
    upstream_failure: list[BaseException] = []

    async def next_input() -> tuple[int, Any] | None:
        async with input_lock:
            while state["next"] - state["delivered"] >= window:
                space.clear()
                await space.wait()
            while not pending:
                if state["input_done"]:
                    return None
                try:
                    pending.extend(await anext(upstream))
                except StopAsyncIteration:
                    state["input_done"] = True
                except Exception as e:
                    upstream_failure.append(e)
                    state["input_done"] = True
            idx = state["next"]
            state["next"] = idx + 1
            return idx, pending.popleft()

    async def worker() -> None:
        try:
            while not failure:
                item = await next_input()
                if item is None:
                    return
                idx, x = item
                try:
                    r = await _call_one(st, fn, x)
                except Exception as e:
                    st.items_in += 1
                    failure.append(e)
                    return
                if ordered:
                    results[idx] = (x, r)  # a skipped element keeps its place, so order moves past it
                else:
                    ready.append((x, r))
                wake.set()
        finally:
            state["active"] -= 1
            wake.set()

    workers = [asyncio.create_task(worker(), name=f"typedstream:{name}:{i}") for i in range(op.concurrency)]
    try:
        while True:
            if failure:
                raise failure[0]
            if ordered:
                taken: list[tuple[Any, Any]] = []
                head = state["delivered"]
                while head in results:
                    taken.append(results.pop(head))
                    head += 1
            else:
                taken, ready[:] = ready[:], []
            if taken:
                state["delivered"] += len(taken)
                space.set()
                out: list[Any] = []
                for x, r in taken:
                    st.items_in += 1
                    if r is SKIPPED:
                        continue
                    out.extend(kern.post([x], [r]))
                    if kern.done:
                        break
                if out:
                    st.items_out += len(out)
                    yield out
                if kern.done:
                    return
                continue
            if state["active"] == 0:
                if upstream_failure:
                    raise upstream_failure[0]
                rest = kern.flush()
                if rest:
                    st.items_out += len(rest)
                    yield rest
                return
            wake.clear()
            await wake.wait()
    finally:
        await cancel_and_wait(workers)
        if len(failure) > 1:  # one outcome per run: the first error, the others named on it
            others = ", ".join(f"{type(e).__name__}: {e}" for e in failure[1:6])
            more = f" and {len(failure) - 6} more" if len(failure) > 6 else ""
            failure[0].add_note(f"typedstream: {len(failure) - 1} other call(s) of stage {name!r} also failed: {others}{more}")


async def open_flat_map(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    """flat_map at concurrency 1: inner iterables are read lazily, at most one chunk ahead.

    Outputs gather into chunks of up to MAX_CHUNK; an async inner iterable passes each element on as it comes.
    A failure (in f or inside an inner iterable) is raised after the outputs of the elements before it.
    """
    f = st.op.fn
    assert f is not None
    name = st.name
    out: list[Any] = []
    async for chunk in upstream:
        for x in chunk:
            called = False
            try:
                inner = await _call_one(st, f, x)
                called = True
                st.items_in += 1
                if hasattr(inner, "__aiter__"):
                    ait = _aiter_any(inner)
                    try:
                        async for y in ait:
                            out.append(y)
                            st.items_out += 1
                            yield out
                            out = []
                    finally:
                        await aclose_iterator(ait)
                    continue
                it = iter(inner)
                try:
                    while True:
                        room = MAX_CHUNK - len(out)
                        before = len(out)
                        out.extend(itertools.islice(it, room))
                        st.items_out += len(out) - before
                        if len(out) - before < room:
                            break  # inner exhausted
                        yield out
                        out = []
                finally:
                    close_iterator(it)
            except Exception as e:
                if called:  # a failure inside the inner iterable (f's own is counted and noted already)
                    st.failed += 1
                    annotate(e, name, x)
                else:
                    st.items_in += 1
                if out:
                    pending, out = out, []
                    yield pending
                raise
        if out:
            yield out
            out = []


# ------------------------------------------------------------------------------------------- relay and time


class _Relay:
    """A task that pulls ``upstream`` ahead of demand into a bounded queue.

    ``limit`` counts elements (buffer(n)); None means one chunk at a time (a pure task boundary).
    """

    def __init__(self, upstream: Chunks, limit: int | None) -> None:
        self.upstream = upstream
        self.limit = limit
        self.queue: deque[list[Any]] = deque()
        self.count = 0
        self.finished = False
        self.error: BaseException | None = None
        self.data = asyncio.Event()
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
                chunk = await anext(self.upstream, None)
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


async def relay(upstream: Chunks, *, limit: int | None, st: Stage | None = None) -> Chunks:
    r = _Relay(upstream, limit)
    try:
        while (chunk := await r.get()) is not None:
            if st is not None:
                st.items_in += len(chunk)
                st.items_out += len(chunk)
            yield chunk
    finally:
        await r.stop()


def open_buffer(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    return relay(upstream, limit=st.op.options["n"], st=st)


async def open_batch_within(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    n: int = st.op.options["n"]
    seconds: float = st.op.options["seconds"]
    loop = asyncio.get_running_loop()
    r = _Relay(upstream, None)
    current: list[Any] = []
    deadline = 0.0
    try:
        while True:
            try:
                if current:
                    async with asyncio.timeout_at(deadline):
                        chunk = await r.get()
                else:
                    chunk = await r.get()
            except TimeoutError:
                out, current = [current], []
                st.items_out += 1
                yield out
                continue
            if chunk is None:
                if current:
                    st.items_out += 1
                    yield [current]
                return
            st.items_in += len(chunk)
            full: list[list[Any]] = []
            for x in chunk:
                if not current:
                    deadline = loop.time() + seconds
                current.append(x)
                if len(current) >= n:
                    full.append(current)
                    current = []
            if full:
                st.items_out += len(full)
                yield full
    finally:
        await r.stop()


async def open_timeout(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    seconds: float = st.op.options["seconds"]
    while True:
        try:
            async with asyncio.timeout(seconds):
                chunk = await anext(upstream)
        except StopAsyncIteration:
            return
        except TimeoutError as e:
            raise annotate(
                TimeoutError(f"stage {st.name!r}: no element within {seconds} s"), st.name, has_element=False
            ) from e
        st.items_in += len(chunk)
        st.items_out += len(chunk)
        yield chunk


async def open_throttle(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    """At most ``rate`` elements in any window of ``per`` seconds (a sliding log of the last ``rate`` sends)."""
    rate: int = st.op.options["rate"]
    per: float = st.op.options["per"]
    loop = asyncio.get_running_loop()
    sent: deque[float] = deque(maxlen=rate)
    async for chunk in upstream:
        out: list[Any] = []
        for x in chunk:
            if len(sent) == rate:
                wait = sent[0] + per - loop.time()
                if wait > 0:
                    if out:
                        yield out
                        out = []
                    await asyncio.sleep(wait)
            sent.append(loop.time())
            out.append(x)
            st.items_in += 1
            st.items_out += 1
        if out:
            yield out


# -------------------------------------------------------------------------------------------------- combine


def _inputs(run: Run, upstream: Chunks, st: Stage) -> list[Chunks]:
    # Compiled (not started) when the stage is opened, so they are registered before the stage itself and
    # closed after it: the stage stops its own tasks first. Waits on all inputs add up in the stage's.
    return [upstream, *(compile_source(s, run, st.waits) for s in st.op.sources)]


def open_concat(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    return _concat(_inputs(run, upstream, st), st)


async def _concat(inputs: list[Chunks], st: Stage) -> Chunks:
    for chunks in inputs:
        async for chunk in chunks:
            st.items_out += len(chunk)
            yield chunk


def open_merge(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    return _merge(_inputs(run, upstream, st), st)


async def _merge(inputs: list[Chunks], st: Stage) -> Chunks:
    """Interleave chunks as they arrive; one pump task per input, each at most one chunk ahead."""
    relays = [_Relay(chunks, None) for chunks in inputs]
    arrived = asyncio.Event()
    for r in relays:
        r.data = arrived  # every relay signals the same event
        r.start()
    live = list(relays)
    try:
        while live:
            progressed = False
            for r in list(live):
                if r.queue:
                    chunk = await r.get()
                    assert chunk is not None
                    progressed = True
                    st.items_out += len(chunk)
                    yield chunk
                elif r.finished:
                    live.remove(r)
                    if r.error is not None:
                        raise r.error
            if not progressed and live:
                arrived.clear()
                if not any(r.queue or r.finished for r in live):
                    await arrived.wait()
    finally:
        for r in relays:
            await r.stop()


def open_zip(upstream: Chunks, run: Run, st: Stage) -> Chunks:
    return _zip(_inputs(run, upstream, st), st)


async def _zip(inputs: list[Chunks], st: Stage) -> Chunks:
    buffers: list[deque[Any]] = [deque() for _ in inputs]
    while True:
        for chunks, buf in zip(inputs, buffers):
            if not buf:
                chunk = await anext(chunks, None)
                if chunk is None:
                    return  # the shortest input ends the zip
                buf.extend(chunk)
        n = min(len(b) for b in buffers)
        st.items_out += n
        yield list(zip(*([b.popleft() for _ in range(n)] for b in buffers)))
