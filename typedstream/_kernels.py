"""Per-run chunk kernels: what one operator does to one chunk.

A kernel never loops over user code itself. The engine calls ``fn`` on every element of a chunk (that is where
failures, awaitables and, later, retries and error strategies are handled, once for all operators) and then hands
the chunk and the results to ``post``, which only rearranges them. Kernels carry the operator's per-run state, so
every run starts fresh.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable
from typing import Any

from returns.result import Failure, Success

__all__ = ["Caught", "Kernel"]

_compress = itertools.compress
_chain = itertools.chain.from_iterable


class Kernel:
    """Map kernel: the results are the output. Subclasses override ``post``/``flush``."""

    __slots__ = ("fn", "done", "selects", "proven_sync")

    def __init__(self, fn: Callable[[Any], Any] | None = None) -> None:
        self.fn = fn
        # True once the operator wants no more input (take, take_while): the engine stops pulling upstream.
        self.done = False
        # A filter: once its function is seen to return plain values, the engine may run it as a C-level
        # ``filter`` (no results list); until then results are checked for awaitables.
        self.selects = False
        self.proven_sync = False

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return results

    def flush(self) -> list[Any]:
        """Output held back until the end of the input (batch)."""
        return []


class Caught:
    """The engine's result for a ``try_map`` call that raised one of its ``catch`` exceptions."""

    __slots__ = ("error", "attempts")

    def __init__(self, error: Exception, attempts: int = 1) -> None:
        self.error = error
        self.attempts = attempts


class TryMapKernel(Kernel):
    __slots__ = ()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return [Failure(r.error) if r.__class__ is Caught else Success(r) for r in results]


class StepKernel(Kernel):
    """A ``Pipeline`` step: a call that failed (after its retries) becomes ``Failure(fail(state, caught))``,
    where ``state`` is the value of the ``Success`` the step received."""

    __slots__ = ("fail",)

    def __init__(self, fn: Callable[[Any], Any], fail: Callable[[Any, Caught], Exception]) -> None:
        super().__init__(fn)
        self.fail = fail

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        fail = self.fail
        return [Failure(fail(x.unwrap(), r)) if r.__class__ is Caught else r for x, r in zip(chunk, results)]


class SuccessesKernel(Kernel):
    """``fn`` tells a Success (True) from a Failure (False) and rejects anything else."""

    __slots__ = ()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return [r.unwrap() for r, ok in zip(chunk, results) if ok]


class FailuresKernel(Kernel):
    __slots__ = ()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return [r.failure() for r, ok in zip(chunk, results) if not ok]


class FilterKernel(Kernel):
    __slots__ = ()

    def __init__(self, fn: Callable[[Any], Any] | None = None) -> None:
        super().__init__(fn)
        self.selects = True

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return list(_compress(chunk, results))


class TapKernel(Kernel):
    __slots__ = ()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return chunk


class FlatMapKernel(Kernel):
    """``fn`` already returns a list per element (the inner iterable is drained inside the element call)."""

    __slots__ = ()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return list(_chain(results))


class TakeWhileKernel(Kernel):
    __slots__ = ()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        for i, keep in enumerate(results):
            if not keep:
                self.done = True
                return chunk[:i]
        return chunk


class TakeKernel(Kernel):
    __slots__ = ("left",)

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left = n
        self.done = n <= 0

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        if len(chunk) >= self.left:
            chunk = chunk[: self.left]
            self.done = True
        self.left -= len(chunk)
        return chunk


class SkipKernel(Kernel):
    __slots__ = ("left",)

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left = n

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        if self.left <= 0:
            return chunk
        dropped = min(self.left, len(chunk))
        self.left -= dropped
        return chunk[dropped:]


class DistinctKernel(Kernel):
    """``fn`` is the key function (or None for the element itself); keeps the first element of each key."""

    __slots__ = ("seen",)

    def __init__(self, key: Callable[[Any], Hashable] | None) -> None:
        super().__init__(key)
        self.seen: set[Hashable] = set()

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        seen = self.seen
        out: list[Any] = []
        for x, k in zip(chunk, results if self.fn is not None else chunk):
            if k not in seen:
                seen.add(k)
                out.append(x)
        return out


class BatchKernel(Kernel):
    __slots__ = ("size", "pending")

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.pending: list[Any] = []

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        pending = self.pending
        pending.extend(chunk)
        n = self.size
        if len(pending) < n:
            return []
        full = len(pending) - len(pending) % n
        out = [pending[i : i + n] for i in range(0, full, n)]
        self.pending = pending[full:]
        return out

    def flush(self) -> list[Any]:
        rest, self.pending = self.pending, []
        return [rest] if rest else []


class FlattenKernel(Kernel):
    __slots__ = ()

    def __init__(self) -> None:
        # Draining each inner iterable is an element call, so a failing inner generator names its element.
        super().__init__(list)

    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return list(_chain(results))


def scan_kernel(init: Any, f: Callable[[Any, Any], Any]) -> Kernel:
    acc = init

    def step(x: Any) -> Any:
        nonlocal acc
        acc = f(acc, x)
        return acc

    return Kernel(step)


def stateful_map_kernel(init: Any, f: Callable[[Any, Any], tuple[Any, Any]]) -> Kernel:
    state = init() if callable(init) else init

    def step(x: Any) -> Any:
        nonlocal state
        state, out = f(state, x)
        return out

    return Kernel(step)
