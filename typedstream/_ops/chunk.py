"""Chunk operators: synchronous kernels that rearrange chunks, fused with their neighbours (take, skip, batch,
flatten, distinct, scan, stateful_map)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable
from typing import Any

from typing_extensions import override

from .._engine import Kernel, Op, Shape
from .._validate import check_callable, check_count, stage_name, where

__all__ = ["batch", "distinct", "flatten", "scan", "skip", "stateful_map", "take"]

_chain = itertools.chain.from_iterable


class TakeKernel(Kernel):
    __slots__ = ("left",)

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left = n
        self.done = n <= 0

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        if len(chunk) >= self.left:
            chunk = chunk[: self.left]
            self.done = True
        self.left -= len(chunk)
        return chunk


def take(n: int) -> Op:
    check_count(where("take"), "n", n, minimum=0)
    return Op(name="take", kind="take", kernel=functools.partial(TakeKernel, n))


class SkipKernel(Kernel):
    __slots__ = ("left",)

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left = n

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        if self.left <= 0:
            return chunk
        dropped = min(self.left, len(chunk))
        self.left -= dropped
        return chunk[dropped:]


def skip(n: int) -> Op:
    check_count(where("skip"), "n", n, minimum=0)
    return Op(name="skip", kind="skip", kernel=functools.partial(SkipKernel, n))


class BatchKernel(Kernel):
    __slots__ = ("size", "pending")

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.pending: list[Any] = []

    @override
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

    @override
    def flush(self) -> list[Any]:
        rest = self.pending
        self.pending = []
        return [rest] if rest else []


def batch(n: int) -> Op:
    check_count(where("batch"), "n", n, minimum=1)
    return Op(name="batch", kind="batch", shape=Shape.RESHAPING, kernel=functools.partial(BatchKernel, n))


class FlattenKernel(Kernel):
    __slots__ = ()

    def __init__(self) -> None:
        # Draining each inner iterable is an element call, so a failing inner generator names its element.
        super().__init__(list)

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        return list(_chain(results))


def flatten() -> Op:
    return Op(name="flatten", kind="flatten", shape=Shape.RESHAPING, kernel=FlattenKernel)


class DistinctKernel(Kernel):
    """``fn`` is the key function (or None for the element itself); keeps the first element of each key."""

    __slots__ = ("seen",)

    def __init__(self, key: Callable[[Any], Hashable] | None) -> None:
        super().__init__(key)
        self.seen: set[Hashable] = set()

    @override
    def post(self, chunk: list[Any], results: list[Any]) -> list[Any]:
        seen = self.seen
        out: list[Any] = []
        for x, k in zip(chunk, results if self.fn is not None else chunk):
            if k not in seen:
                seen.add(k)
                out.append(x)
        return out


def distinct(key: Callable[[Any], Hashable] | None, name: str | None) -> Op:
    stage = stage_name(name, key, "distinct")
    if key is not None:
        check_callable(where(stage), "key", key)
    return Op(name=stage, kind="distinct", kernel=functools.partial(DistinctKernel, key))


def _scan_kernel(init: Any, f: Callable[[Any, Any], Any]) -> Kernel:
    acc = init

    def step(x: Any) -> Any:
        nonlocal acc
        acc = f(acc, x)
        return acc

    return Kernel(step)


def scan(init: Any, f: Callable[[Any, Any], Any], name: str | None) -> Op:
    stage = stage_name(name, f, "scan")
    check_callable(where(stage), "the function", f)
    return Op(name=stage, kind="scan", kernel=functools.partial(_scan_kernel, init, f))


def _stateful_map_kernel(init: Any, f: Callable[[Any, Any], tuple[Any, Any]]) -> Kernel:
    state = init() if callable(init) else init

    def step(x: Any) -> Any:
        nonlocal state
        state, out = f(state, x)
        return out

    return Kernel(step)


def stateful_map(init: Any, f: Callable[[Any, Any], tuple[Any, Any]], name: str | None) -> Op:
    stage = stage_name(name, f, "stateful_map")
    check_callable(where(stage), "the function", f)
    return Op(name=stage, kind="stateful_map", kernel=functools.partial(_stateful_map_kernel, init, f))
