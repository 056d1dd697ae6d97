"""Talking to an executor: what a stage's ``executor=`` is (``Remote``), the function that runs a chunk of elements
through one or more stages on it (``run_chain``), and submitting and awaiting one remote task without blocking
or leaking.

Elements travel pickled one by one inside an opaque ``Payload`` (Dask traverses a bare list looking for futures:
10-12k elements/s against about 200k as an opaque object), and come back as one outcome per element: a value or
the exception its call raised. So an element that cannot be sent, raises or returns something that cannot be
sent back fails alone, and the stage's guard treats it as it treats any failed call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import inspect
import os
import pickle
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Protocol, cast

from .._pools import ProcessPool

__all__ = ["DONE", "DROPPED", "FAILED", "DaskClient", "Payload", "Remote", "check_sendable", "decode_chain", "land", "launch", "remote", "run_chain"]

_dumps = pickle.dumps
_loads = pickle.loads
_HIGHEST = pickle.HIGHEST_PROTOCOL


class DaskClient(Protocol):
    """What ``executor=`` takes of a Dask ``distributed.Client`` (synchronous or ``asynchronous=True``)."""

    @property
    def asynchronous(self) -> bool: ...

    def get_executor(self, **kwargs: object) -> cf.Executor: ...


@dataclass(frozen=True, slots=True)
class Remote:
    """An executor as a stage uses it."""

    kind: str
    """``thread``, ``process``, ``dask`` or ``executor`` (another ``concurrent.futures.Executor``)."""
    workers: int
    """Calls it runs at once (threads, processes, Dask worker threads) when the stage was built."""
    executor: cf.Executor | None
    """What tasks are submitted to; None for an asynchronous Dask client, which is awaited on the loop."""
    client: Any = None
    """An asynchronous ``distributed.Client`` (its futures are awaitable on the run's loop)."""
    encode: bool = True
    """Elements and outcomes travel pickled (not needed for threads, which share the process's memory)."""
    chunk_size: int | None = None
    """Elements per remote task; None: sized from the calls' measured time."""

    @property
    def label(self) -> str:
        return f"{self.kind}({self.workers})"


def _dask_client_type() -> type | None:
    distributed = sys.modules.get("distributed")  # never imported here: a Client exists only if the user made one
    return None if distributed is None else getattr(distributed, "Client", None)


def _dask_workers(client: Any) -> int:
    try:
        info = client.scheduler_info()
        threads: object = info.get("total_threads")  # an asynchronous client's cached info lists no workers
        if not isinstance(threads, int):
            threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        return max(1, threads)
    except Exception:  # a client not connected yet: concurrency= says how many tasks to keep in flight
        return 1


def _max_workers(executor: cf.Executor) -> int:
    workers: object = getattr(executor, "_max_workers", None)  # the standard pools' (not public)
    return workers if isinstance(workers, int) else os.cpu_count() or 1


def remote(executor: object, chunk_size: int | None, at: str) -> Remote:
    """The ``Remote`` for ``executor=`` of the stage ``at`` names; a ``TypeError`` for anything else."""
    client_type = _dask_client_type()
    if client_type is not None and isinstance(executor, client_type):
        client: Any = executor
        workers = _dask_workers(client)
        if client.asynchronous:
            return Remote("dask", workers, None, client, chunk_size=chunk_size)
        # pure=False: two tasks with equal payloads (a retried element) must both run, not share one key.
        return Remote("dask", workers, client.get_executor(pure=False), chunk_size=chunk_size)
    if isinstance(executor, cf.ThreadPoolExecutor):
        return Remote("thread", _max_workers(executor), executor, encode=False, chunk_size=chunk_size)
    if isinstance(executor, ProcessPool):
        return Remote("process", executor.max_workers, executor, chunk_size=chunk_size)
    if isinstance(executor, cf.ProcessPoolExecutor):
        return Remote("process", _max_workers(executor), executor, chunk_size=chunk_size)
    if type(executor).__module__.startswith("distributed.") and hasattr(executor, "_client"):
        # a Dask ClientExecutor: made again with pure=False (see above), keeping its other options
        given: Any = executor
        options = {k: v for k, v in given._kwargs.items() if k != "pure"}
        return Remote("dask", _dask_workers(given._client), given._client.get_executor(pure=False, **options), chunk_size=chunk_size)
    if isinstance(executor, cf.Executor):
        return Remote("executor", _max_workers(executor), executor, chunk_size=chunk_size)
    raise TypeError(
        f"{at}: executor must be a concurrent.futures.Executor (ThreadPoolExecutor, ProcessPoolExecutor, "
        f"typedstream.ProcessPool, a Dask client's get_executor()) or a distributed.Client, got {type(executor).__name__} {executor!r}"
    )


def check_sendable(remote: Remote, fn: Callable[..., Any], at: str) -> None:
    """A process pool receives the function pickled (by reference): say at build time if it cannot be."""
    if remote.kind != "process":
        return  # threads need nothing; Dask pickles functions with cloudpickle, lambdas included
    try:
        _dumps(fn, _HIGHEST)
    except Exception as e:
        raise TypeError(
            f"{at}: the function cannot be sent to worker processes ({type(e).__name__}: {e}). A process pool "
            "receives functions by reference: define it at module level (not a lambda, a local function or a "
            "method of a local class), and start the pipeline under `if __name__ == '__main__':`; or use a "
            "ThreadPoolExecutor or a Dask client, which pickles lambdas too"
        ) from None


# -- what runs remotely ---------------------------------------------------------------------------------------


class Payload:
    """Elements or outcomes in transit, opaque to the executor (outcomes: see ``run_chain``); ``times`` are, per
    stage, the seconds each call took on the worker."""

    __slots__ = ("items", "encoded", "times")

    def __init__(self, items: list[Any], encoded: bool, times: list[Any] | None = None) -> None:
        self.items = items
        self.encoded = encoded
        self.times = times

    def __reduce__(self) -> tuple[Any, ...]:
        return (Payload, (self.items, self.encoded, self.times))


def _user_frames(tb: Any) -> str:
    frames = [f for f in traceback.extract_tb(tb) if "typedstream" not in f.filename.replace("\\", "/").split("/")]
    return "".join(traceback.format_list(frames[-10:])).rstrip()


def _sendable_error(e: BaseException) -> bytes:
    """The exception, pickled with a note of where the worker raised it; a stand-in if it cannot be pickled."""
    where = _user_frames(e.__traceback__)
    if where:
        e.add_note(f"typedstream: raised remotely, at\n{where}")
    try:
        return _dumps(e, _HIGHEST)
    except Exception as pe:
        stand_in = RuntimeError(f"{type(e).__qualname__}: {e} (the exception could not be sent back: {pe})")
        return _dumps(stand_in, _HIGHEST)


DONE, DROPPED, FAILED = 0, 1, 2
"""What became of an element in ``run_chain``: it came out of the last stage (its outputs, a list: none, one or
more); a stage before the last dropped it (a false predicate); a stage's call raised."""


def _sendable_failure(inp: Any, exc: Exception) -> tuple[bytes, bytes]:
    """A failed call's input and exception, pickled; an input that cannot be pickled goes back empty."""
    try:
        raw = _dumps(inp, _HIGHEST)
    except Exception:
        raw = b""
    return raw, _sendable_error(exc)


def run_chain(kernels: tuple[Any, ...], payload: Payload) -> Payload:
    """On the worker: each element through consecutive stages (each a kernel: its function, then its ``post``).
    An outcome per element, ``(what, stage index, value)``: the output for ``DONE``, nothing for ``DROPPED``,
    ``(the stage's input, the exception)`` for ``FAILED``. ``times``: per stage, the seconds of each call."""
    out: list[Any] = []
    times: list[list[float]] = [[] for _ in kernels]
    encoded = payload.encoded
    last = len(kernels) - 1
    for item in payload.items:
        v = _loads(item) if encoded else item
        what, k = DONE, last + 1
        value: Any = None
        r: Any = None
        for k, kern in enumerate(kernels):
            started = perf_counter()
            try:
                r = kern.fn(v)
                ok = True
            except Exception as e:
                r, ok = e, False
            times[k].append(perf_counter() - started)
            if not ok:
                what, value = FAILED, (v, r)
                break
            given = kern.post([v], [r])
            if k == last:
                what, k, value = DONE, last + 1, given  # the last stage's outputs: none, one, or more (flat_map)
            elif not given:
                what = DROPPED
                break
            else:
                v = given[0]
        if encoded:
            if what == DONE:
                try:
                    value = _dumps(value, _HIGHEST)
                except Exception as e:  # the last stage's call failed after all: its result cannot go back
                    k, what = last, FAILED
                    value = (v, TypeError(f"the result ({type(r).__name__}) could not be sent back from the worker: {e}"))
            if what == FAILED:
                value = _sendable_failure(*cast("tuple[Any, Exception]", value))
        elif what == FAILED:
            cast("tuple[Any, Exception]", value)[1].__traceback__ = None  # it would hold the worker's frames
        out.append((what, k, value))
    return Payload(out, encoded, times)


def decode_chain(payload: Payload) -> list[tuple[int, int, Any]]:
    if not payload.encoded:
        return payload.items
    out: list[tuple[int, int, Any]] = []
    for what, k, value in payload.items:
        try:
            if what == DONE:
                value = _loads(value)
            elif what == FAILED:
                raw, err = value
                value = (_loads(raw) if raw else None, _loads(err))
        except Exception as e:
            what, value = FAILED, (None, RuntimeError(f"an outcome sent back by the worker could not be unpickled: {type(e).__name__}: {e}"))
        out.append((what, k, value))
    return out


# -- from the loop ---------------------------------------------------------------------------------------------


def encode(remote: Remote, xs: list[Any]) -> tuple[Payload, dict[int, Exception]]:
    """The payload for ``xs``, and the positions of elements that cannot be sent (with why)."""
    if not remote.encode:
        return Payload(xs, False), {}
    items: list[bytes] = []
    unsendable: dict[int, Exception] = {}
    for i, x in enumerate(xs):
        try:
            items.append(_dumps(x, _HIGHEST))
        except Exception as e:
            err = TypeError(f"the element ({type(x).__name__}) could not be sent to the executor: {e}")
            err.__cause__ = e
            unsendable[i] = err
    return Payload(items, True), unsendable


def launch(remote: Remote, kernels: tuple[Any, ...], payload: Payload) -> Any:
    """Submit one task, ``run_chain(kernels, payload)``; raises if the executor refuses it (shut down, broken)."""
    if remote.executor is not None:
        return remote.executor.submit(run_chain, kernels, payload)
    return remote.client.submit(run_chain, kernels, payload, pure=False)


class Lost(Exception):
    """The executor cancelled a task the run did not cancel (a cluster shutting down, a dropped client)."""


async def land(remote: Remote, task: Any) -> Payload:
    """The outcome of a submitted task. A task the executor lost raises its error (``BrokenProcessPool``,
    ``KilledWorker``, ``Lost``); if the run is cancelled meanwhile, the task is cancelled, and one already
    running is waited for, so nothing the run started is left running (an executor cannot interrupt a call)."""
    if remote.executor is None:  # an asynchronous Dask client on this loop
        try:
            payload: Payload = await task
            return payload
        except asyncio.CancelledError:
            if not _being_cancelled():
                raise Lost("the Dask scheduler cancelled the task") from None
            cancelled = task.cancel()
            if inspect.isawaitable(cancelled):
                await _despite_cancellation(cancelled)
            raise
    future: cf.Future[Payload] = task
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if not _being_cancelled():
            raise Lost("the executor cancelled the task (was it shut down?)") from None
        if not future.cancel() and not future.done():
            await _outlast(future)
        raise


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _despite_cancellation(aw: Any) -> None:
    t = asyncio.ensure_future(aw)
    while not t.done():
        try:
            await asyncio.wait([t])
        except asyncio.CancelledError:
            pass  # the caller is already being cancelled: finish this first, its cancellation is raised after
    if not t.cancelled():
        t.exception()


async def _outlast(future: cf.Future[Any]) -> None:
    """Wait for a running call to end, through repeated cancellations (the caller re-raises its own)."""
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()
    future.add_done_callback(lambda _: loop.call_soon_threadsafe(ended.set))
    while not ended.is_set():
        try:
            await ended.wait()
        except asyncio.CancelledError:
            pass
