"""Rule 23's checks: the async generators a loop still has open, and ``example_scope``, which checks one
Hypothesis example for leaks (the autouse ``no_leaks`` fixture in tests/conftest.py checks every test)."""

from __future__ import annotations

import asyncio
import sys
import warnings
import weakref
from collections.abc import AsyncGenerator, Callable
from types import TracebackType
from typing import Any

import uvloop

_started: weakref.WeakSet[AsyncGenerator[Any, Any]] = weakref.WeakSet()


class TrackedUVLoop(uvloop.Loop):
    """uvloop's loop, recording the async generators it starts: unlike asyncio's, it keeps no list that Python
    can read, and the leak checks need one."""

    def _asyncgen_firstiter_hook(self, agen: AsyncGenerator[Any, Any]) -> None:
        _started.add(agen)
        loops_own: Callable[[AsyncGenerator[Any, Any]], None] = getattr(super(), "_asyncgen_firstiter_hook")
        loops_own(agen)


def open_async_generators(loop: asyncio.AbstractEventLoop) -> list[object]:
    """Async generators that were started and are neither finished nor closed."""
    gens = {id(ag): ag for ag in [*getattr(loop, "_asyncgens", ()), *_started]}
    # The fixture's own generator is running while it checks: it is not a leak.
    return [
        ag
        for ag in gens.values()
        if getattr(ag, "ag_frame", None) is not None and not getattr(ag, "ag_running", False)
    ]


class example_scope:
    """Rule 23 for one Hypothesis example: on a clean exit, no other task is pending, no async generator opened
    during the example is still open, and nothing was reported as unraisable (a coroutine never awaited, an
    error in a finalizer). Checked per example, so Hypothesis shrinks and reports the example that leaked."""

    def __enter__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.before = open_async_generators(self.loop)
        self.unraisable: list[str] = []
        self.old_hook = sys.unraisablehook
        sys.unraisablehook = self._hook
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine ... was never awaited" becomes unraisable

    def _hook(self, u: sys.UnraisableHookArgs) -> None:
        self.unraisable.append(f"{u.exc_type.__name__}: {u.exc_value} ({u.err_msg or 'in'} {u.object!r})")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.warnings.__exit__(None, None, None)
        sys.unraisablehook = self.old_hook
        if exc_type is not None:
            return
        assert not self.unraisable, f"unraisable exceptions during the run: {self.unraisable}"
        me = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks(self.loop) if t is not me and not t.done()]
        assert not pending, f"tasks still pending after the run: {pending}"
        before = {id(g) for g in self.before}
        leaked = [g for g in open_async_generators(self.loop) if id(g) not in before]
        assert not leaked, f"async generators left open after the run: {leaked}"
