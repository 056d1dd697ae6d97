"""The fused loop: adjacent synchronous kernel stages run over each chunk in one loop, in one generator.

User code is called here by ``list.extend(map(f, chunk))`` (in C); the kernels only rearrange the results. A
failure at element i behaves as if there were no chunks: the elements before it are delivered, then the error.
"""

from __future__ import annotations

import builtins
import collections
import inspect
import itertools
import operator
from collections.abc import Awaitable, Callable
from types import GeneratorType
from typing import Any, cast

from .chain import Chunks
from .guard import annotate
from .kernel import SKIPPED, Kernel
from .metrics import now
from .stage import Stage

__all__ = ["fused"]

_map = builtins.map
_filter = builtins.filter
_remaining = operator.length_hint
_isawaitable = inspect.isawaitable
islice = itertools.islice


def _skip(items: Any) -> None:
    collections.deque(items, maxlen=0)


_plain: set[type] = set()  # types of results seen not to be awaitable: checked by a set lookup from then on


def _looks_awaitable(x: object) -> bool:
    """``inspect.isawaitable``, cheaper for the types of results seen before (the check runs per chunk)."""
    cls = type(x)
    if cls in _plain:
        return False
    if _isawaitable(x):
        return True
    if len(_plain) < 64 and cls is not GeneratorType:  # a generator may be a (legacy) coroutine; bounded
        _plain.add(cls)
    return False


async def _call_all(st: Stage, kern: Kernel, chunk: list[Any]) -> tuple[list[Any], list[Any], BaseException | None]:
    """Call the kernel's function on every element. Returns the elements that got a result, their results and
    the failure that stopped the chunk (None if none): on failure, the results of the elements before it.

    A plain callable may return awaitables (a lambda calling an async function): until a stage's results have
    been seen to be plain values (``proven_sync``, after one complete chunk), every result is checked and
    awaited in order, so no coroutine object is ever passed on. After that the first and last result of each
    chunk are still looked at (two checks a chunk): a callable that starts returning awaitables is awaited
    again. A guarded stage (retry, skip, try_map) handles each failing element and goes on with the rest; the
    success path is the same single ``extend`` for all.
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
        if st.recovery is None:
            annotate(failure, st.name, chunk[len(results)])
        else:
            failure = await _recover_rest(st, fn, chunk, results, failure)
    if not kern.proven_sync or (results and (_looks_awaitable(results[0]) or _looks_awaitable(results[-1]))):
        if any(_map(_isawaitable, results)):
            kern.proven_sync = False  # it returns awaitables after all: every result is checked again
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
    recovery = st.recovery
    assert recovery is not None
    n = len(chunk)
    while True:
        i = len(results)
        try:
            results.append(await recovery.recover(fn, chunk[i], cast(Exception, exc), st.waited))
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
        if isinstance(error, Exception) and st.recovery is not None:
            try:
                results[i] = await st.recovery.recover(fn, chunk[i], error, st.waited)
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


async def _select(
    st: Stage, pred: Callable[[Any], Any], chunk: list[Any]
) -> tuple[list[Any], BaseException | None, int] | Awaitable[Any]:
    """``filter`` in C. Returns the kept elements, the failure and how many elements were decided; or, when the
    predicate returned an awaitable for the first element (it has started to: the stage is no longer proven
    synchronous), that awaitable, for the caller to take the chunk through the checking path instead.

    The failing element is found from how far the iterator got; a guarded stage recovers it and goes on.
    """
    out: list[Any] = []
    n = len(chunk)
    failure: Exception | None = None
    i = 0
    try:
        first = pred(chunk[0])  # looked at, not only tested: two looks a chunk for all of the stage's calls
    except Exception as e:
        failure = e
    else:
        if _isawaitable(first):
            return first
        if first:
            out.append(chunk[0])
    pos = 1
    while True:
        if failure is None:
            if pos == n:
                return out, None, n
            it = iter(chunk)
            if pos == 1:
                next(it)
            else:
                _skip(islice(it, pos))  # in C, and the list iterator keeps its length hint
            try:
                out.extend(_filter(pred, it))
            except Exception as e:
                failure = e
            else:
                if not _remaining(it):
                    return out, None, n
                failure = _stop_iteration(st.name, "predicate")  # a StopIteration escaping pred ended filter()
            i = n - _remaining(it) - 1
        if st.recovery is None:
            return out, annotate(failure, st.name, chunk[i]), i + 1
        try:
            keep = await st.recovery.recover(pred, chunk[i], failure, st.waited)
        except Exception as e:
            return out, e, i + 1
        if keep is not SKIPPED and keep:
            out.append(chunk[i])
        pos, failure = i + 1, None


async def _selected(
    st: Stage, pred: Callable[[Any], Any], chunk: list[Any]
) -> tuple[list[Any], BaseException | None, int, int]:
    """``_select``, and the stage's skip count before it; an interrupted one counts the skipped as done with.

    A predicate proven synchronous that returns an awaitable after all fails the stage: the chunk in which it
    switched went through C ``filter``, which kept every element whose result was an awaitable (truthy), so
    going on would give a wrong result."""
    skipped = st.skipped
    try:
        selected = await _select(st, pred, chunk)
    except BaseException:
        st.items_in += st.skipped - skipped  # the skipped ones are done with, the rest not
        raise
    if isinstance(selected, tuple):
        return (*selected, skipped)
    _discard(selected)
    error = TypeError(
        f"stage {st.name!r}: the predicate returned an awaitable after returning plain values; make it an "
        "async def (or have it return awaitables from its first call) so every result is awaited"
    )
    return [], annotate(error, st.name, chunk[0]), 1, skipped


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
            given = len(chunk)  # what reaches post: here, all of it
            st.items_in += given
            chunk = kern.post(chunk, chunk)
        elif kern.selects and kern.proven_sync:
            chunk, failure, decided, skipped = await _selected(st, kern.fn, chunk)
            st.items_in += decided
            given = decided - (st.skipped - skipped)  # decided: kept, dropped, skipped, and the failing one
            if failure is not None:
                err, failed_at = failure, idx
                given -= 1
        else:
            n_in = len(chunk)
            skipped = st.skipped
            try:
                inputs, results, failure = await _call_all(st, kern, chunk)
            except BaseException:
                st.items_in += st.skipped - skipped  # interrupted: the skipped ones are done with, the rest not
                raise
            if failure is not None:
                err, failed_at = failure, idx
                n_in = len(inputs) + st.skipped - skipped + 1
            st.items_in += n_in
            given = len(inputs)
            chunk = kern.post(inputs, results)
        if st.filters:
            st.filtered += given - len(chunk)
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
    kernels = [st.op.kernel() for st in stages if st.op.kernel is not None]  # fresh state for every run
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
