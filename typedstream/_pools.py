"""``ProcessPool``: a process pool that outlives the death of one of its workers.

A ``concurrent.futures.ProcessPoolExecutor`` whose worker dies (``os._exit``, a segfault, the kernel's OOM killer)
is broken for good: every call in flight and every later ``submit`` raise ``BrokenProcessPool``. A pipeline that
retries or skips the element that killed its worker needs a pool that can go on, so this one starts a fresh
``ProcessPoolExecutor`` when it finds the old one broken. Everything else is the standard pool's.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing.context
import os
import threading
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

from typing_extensions import override

from ._validate import check_count

__all__ = ["ProcessPool"]

P = ParamSpec("P")
R = TypeVar("R")


class ProcessPool(cf.Executor):
    """A ``concurrent.futures`` executor over ``max_workers`` processes (default: the CPU count) that replaces its
    pool when a worker process died, so later calls run again. Calls in flight when the worker died fail with
    ``BrokenProcessPool`` (the stage's retry or ``on_error="skip"`` decides what happens to them).

    Use it as a context manager, or call ``shutdown()``, like any executor.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        *,
        mp_context: multiprocessing.context.BaseContext | None = None,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[object, ...] = (),
    ) -> None:
        workers = (
            (os.cpu_count() or 1) if max_workers is None else check_count("ProcessPool", "max_workers", max_workers, minimum=1)
        )
        self.max_workers = workers
        self.restarts = 0
        """How many times a broken pool was replaced."""
        self._options: dict[str, Any] = {"mp_context": mp_context, "initializer": initializer, "initargs": initargs}
        self._lock = threading.Lock()
        self._pool = self._start()
        self._shutdown = False

    def _start(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.max_workers, **self._options)

    @override
    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> cf.Future[R]:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("ProcessPool: cannot submit after shutdown()")
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
                self.restarts += 1
                return self._pool.submit(fn, *args, **kwargs)

    @override
    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            pool = self._pool
        pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __repr__(self) -> str:
        return f"ProcessPool(max_workers={self.max_workers}, restarts={self.restarts})"
