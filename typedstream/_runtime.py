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

from ._kernels import Kernel
from ._op import Chunks, Op, Origin

if TYPE_CHECKING:
    from ._source import Source

__all__ = ["Run", "compile_source"]

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

    __slots__ = ("_closers", "_closed")

    def __init__(self) -> None:
        self._closers: list[Callable[[], Awaitable[object]]] = []
        self._closed = False

    def own(self, gen: AsyncIterator[Any]) -> AsyncIterator[Any]:
        aclose = getattr(gen, "aclose", None)
        if aclose is not None:
            self._closers.append(aclose)
        return gen

    async def aclose(self) -> None:
        """Close everything downstream first. A second call is a no-op."""
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
        if first is not None:
            raise first


# --------------------------------------------------------------------------------------------------- compile


def compile_source(src: Source[Any], run: Run) -> Chunks:
    """Build (without starting) the chunk generator chain of ``src``. Runs no user code."""
    chunks = run.own(open_origin(src._origin))  # pyright: ignore[reportPrivateUsage]
    segment: list[Op] = []
    boundaries = 0
    for op in src._ops:  # pyright: ignore[reportPrivateUsage]
        if op.fusable:
            segment.append(op)
            continue
        if segment:
            chunks = run.own(fused(chunks, segment))
            segment = []
        if op.open is not None:
            chunks = run.own(op.open(chunks, run, op))
        else:
            chunks = run.own(element_stage(chunks, op))
        boundaries += 1
        if boundaries % RELAY_EVERY == 0:
            chunks = run.own(relay(chunks, limit=None))
    if segment:
        chunks = run.own(fused(chunks, segment))
    return chunks


async def open_origin(origin: Origin) -> Chunks:
    if origin.kind == "chunks":  # pre-chunked input: tests use it to check that chunking changes nothing
        for chunk in origin.items:
            if chunk:
                yield list(chunk)
        return
    if origin.kind == "aiterable":
        ait = aiter(origin.items)
        try:
            if origin.chunk_size is None:
                # Never wait to fill a chunk from an async source: one element is one chunk.
                async for x in ait:
                    yield [x]
            else:
                group: list[Any] = []
                async for x in ait:
                    group.append(x)
                    if len(group) >= origin.chunk_size:
                        yield group
                        group = []
                if group:
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
                yield list(seq[i : i + size])
                i += size
                size = min(size * 2, MAX_CHUNK)
            return
        size = origin.chunk_size or 1
        islice = itertools.islice
        while True:
            chunk = list(islice(it, size))
            if not chunk:
                return
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


async def _call_all(
    kern: Kernel, chunk: list[Any], name: str
) -> tuple[list[Any], BaseException | None]:
    """Call the kernel's function on every element. On failure return the results of the elements before it
    and the error.

    A plain callable may return awaitables (a lambda calling an async function): until a stage's results have
    been seen to be plain values (``proven_sync``, after one complete chunk), every result is checked and
    awaited in order, so no coroutine object is ever passed on.
    """
    fn = kern.fn
    assert fn is not None
    results: list[Any] = []
    failure: BaseException | None = None
    try:
        results.extend(_map(fn, chunk))  # list.extend keeps what it got before an exception
    except Exception as e:
        failure = annotate(e, name, chunk[len(results)])
    else:
        if len(results) != len(chunk):  # a StopIteration escaping fn would end map() silently
            err = RuntimeError(f"stage {name!r}: the function raised StopIteration")
            failure = annotate(err, name, chunk[len(results)])
    if kern.proven_sync:
        return results, failure
    if any(_map(_isawaitable, results)):
        for i, r in enumerate(results):
            if not _isawaitable(r):
                continue
            try:
                results[i] = await r
            except BaseException as e:
                for rest in results[i + 1 :]:
                    _discard(rest)
                if not isinstance(e, Exception):
                    raise
                del results[i:]
                # This element comes before the one that failed in map(): its error is the one reported.
                return results, annotate(e, name, chunk[i])
    elif failure is None and results:
        kern.proven_sync = True
    return results, failure


def _select(pred: Callable[[Any], Any], chunk: list[Any], name: str) -> tuple[list[Any], BaseException | None]:
    """``filter`` in C; the failing element is found from how far the iterator got."""
    it = iter(chunk)
    out: list[Any] = []
    try:
        out.extend(_filter(pred, it))
    except Exception as e:
        return out, annotate(e, name, chunk[len(chunk) - _remaining(it) - 1])
    if _remaining(it):  # a StopIteration escaping pred ended filter() early
        i = len(chunk) - _remaining(it) - 1
        return out, annotate(RuntimeError(f"stage {name!r}: the predicate raised StopIteration"), name, chunk[i])
    return out, None


def _discard(pending: object) -> None:
    close = getattr(pending, "close", None)
    if close is not None and (inspect.iscoroutine(pending) or hasattr(pending, "__await__")):
        close()


async def _process(
    kernels: list[Kernel], names: list[str], start: int, chunk: list[Any]
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
    for idx in range(start, len(kernels)):
        if not chunk:
            break
        kern = kernels[idx]
        if kern.fn is None:
            chunk = kern.post(chunk, chunk)
        elif kern.selects and kern.proven_sync:
            chunk, failure = _select(kern.fn, chunk, names[idx])
            if failure is not None:
                err, failed_at = failure, idx
        else:
            results, failure = await _call_all(kern, chunk, names[idx])
            if failure is not None:
                err, failed_at = failure, idx
                chunk = chunk[: len(results)]
            chunk = kern.post(chunk, results)
        if kern.done:
            done_at = idx
    if err is not None and done_at > failed_at:
        err = None
    return chunk, err, done_at


async def fused(upstream: Chunks, ops: list[Op]) -> Chunks:
    kernels = [op.start() for op in ops if op.start is not None]  # fresh state for every run
    names = [op.name for op in ops]
    done_at = max((i for i, kern in enumerate(kernels) if kern.done), default=-1)  # take(0)
    if done_at < 0:
        async for chunk in upstream:
            out, err, done_at = await _process(kernels, names, 0, chunk)
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
            out, err, later_done = await _process(kernels, names, idx + 1, rest)
            if out:
                yield out
            if err is not None:
                raise err
            if later_done >= 0:
                idx = later_done
        idx += 1


# ------------------------------------------------------------------------------------------ element executor


async def _call_one(fn: Callable[[Any], Any], x: Any, name: str) -> Any:
    try:
        r = fn(x)
        if _isawaitable(r):
            r = await r
        return r
    except Exception as e:
        annotate(e, name, x)  # the original exception goes on; the note says where
        raise


def element_stage(upstream: Chunks, op: Op) -> Chunks:
    if op.concurrency == 1:
        return _sequential(upstream, op)
    return _pool(upstream, op)


async def _sequential(upstream: Chunks, op: Op) -> Chunks:
    assert op.start is not None
    kern = op.start()
    fn, name = kern.fn, op.name
    assert fn is not None
    async for chunk in upstream:
        for x in chunk:
            out = kern.post([x], [await _call_one(fn, x, name)])
            if out:
                yield out  # one result at a time: latency stays per element
            if kern.done:
                return
    rest = kern.flush()
    if rest:
        yield rest


async def _pool(upstream: Chunks, op: Op) -> Chunks:
    """``concurrency`` workers pull elements under a lock and call the function.

    Ordered mode releases results in input order; a worker may start element i only while fewer than
    ``window`` elements are undelivered, so free workers keep going behind a slow head until the window is full.
    The first failure surfaces at once (results in flight are dropped); an upstream failure surfaces after the
    results of the elements pulled before it.
    """
    assert op.start is not None
    kern = op.start()
    fn, name, window, ordered = kern.fn, op.name, op.window, op.ordered
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
                    r = await _call_one(fn, x, name)
                except Exception as e:
                    failure.append(e)
                    return
                if ordered:
                    results[idx] = (x, r)
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
                    out.extend(kern.post([x], [r]))
                    if kern.done:
                        break
                if out:
                    yield out
                if kern.done:
                    return
                continue
            if state["active"] == 0:
                if upstream_failure:
                    raise upstream_failure[0]
                rest = kern.flush()
                if rest:
                    yield rest
                return
            wake.clear()
            await wake.wait()
    finally:
        await cancel_and_wait(workers)


async def open_flat_map(upstream: Chunks, run: Run, op: Op) -> Chunks:
    """flat_map at concurrency 1: inner iterables are read lazily, at most one chunk ahead.

    Outputs gather into chunks of up to MAX_CHUNK; an async inner iterable passes each element on as it comes.
    A failure (in f or inside an inner iterable) is raised after the outputs of the elements before it.
    """
    f: Callable[[Any], Any] = op.options["f"]
    name = op.name
    out: list[Any] = []
    async for chunk in upstream:
        for x in chunk:
            try:
                inner = await _call_one(f, x, name)
                if hasattr(inner, "__aiter__"):
                    ait = _aiter_any(inner)
                    try:
                        async for y in ait:
                            out.append(y)
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
                        if len(out) - before < room:
                            break  # inner exhausted
                        yield out
                        out = []
                finally:
                    close_iterator(it)
            except Exception as e:
                annotate(e, name, x)  # a failure inside the inner iterable; f's own already has its note
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


async def relay(upstream: Chunks, *, limit: int | None) -> Chunks:
    r = _Relay(upstream, limit)
    try:
        while (chunk := await r.get()) is not None:
            yield chunk
    finally:
        await r.stop()


def open_buffer(upstream: Chunks, run: Run, op: Op) -> Chunks:
    return relay(upstream, limit=op.options["n"])


async def open_batch_within(upstream: Chunks, run: Run, op: Op) -> Chunks:
    n: int = op.options["n"]
    seconds: float = op.options["seconds"]
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
                yield out
                continue
            if chunk is None:
                if current:
                    yield [current]
                return
            full: list[list[Any]] = []
            for x in chunk:
                if not current:
                    deadline = loop.time() + seconds
                current.append(x)
                if len(current) >= n:
                    full.append(current)
                    current = []
            if full:
                yield full
    finally:
        await r.stop()


async def open_timeout(upstream: Chunks, run: Run, op: Op) -> Chunks:
    seconds: float = op.options["seconds"]
    while True:
        try:
            async with asyncio.timeout(seconds):
                chunk = await anext(upstream)
        except StopAsyncIteration:
            return
        except TimeoutError as e:
            raise annotate(
                TimeoutError(f"stage {op.name!r}: no element within {seconds} s"), op.name, has_element=False
            ) from e
        yield chunk


async def open_throttle(upstream: Chunks, run: Run, op: Op) -> Chunks:
    """At most ``rate`` elements in any window of ``per`` seconds (a sliding log of the last ``rate`` sends)."""
    rate: int = op.options["rate"]
    per: float = op.options["per"]
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
        if out:
            yield out


# -------------------------------------------------------------------------------------------------- combine


def _inputs(run: Run, upstream: Chunks, op: Op) -> list[Chunks]:
    # Compiled (not started) when the stage is opened, so they are registered before the stage itself and
    # closed after it: the stage stops its own tasks first.
    return [upstream, *(compile_source(s, run) for s in op.sources)]


def open_concat(upstream: Chunks, run: Run, op: Op) -> Chunks:
    return _concat(_inputs(run, upstream, op))


async def _concat(inputs: list[Chunks]) -> Chunks:
    for chunks in inputs:
        async for chunk in chunks:
            yield chunk


def open_merge(upstream: Chunks, run: Run, op: Op) -> Chunks:
    return _merge(_inputs(run, upstream, op))


async def _merge(inputs: list[Chunks]) -> Chunks:
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


def open_zip(upstream: Chunks, run: Run, op: Op) -> Chunks:
    return _zip(_inputs(run, upstream, op))


async def _zip(inputs: list[Chunks]) -> Chunks:
    buffers: list[deque[Any]] = [deque() for _ in inputs]
    while True:
        for chunks, buf in zip(inputs, buffers):
            if not buf:
                chunk = await anext(chunks, None)
                if chunk is None:
                    return  # the shortest input ends the zip
                buf.extend(chunk)
        n = min(len(b) for b in buffers)
        yield list(zip(*([b.popleft() for _ in range(n)] for b in buffers)))
