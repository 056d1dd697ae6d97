"""The interface of a kernel stage: what one operator does to one chunk, with per-run state.

A kernel never loops over user code itself. The engine calls ``fn`` on every element of a chunk (that is where
failures, awaitables, retries and error strategies are handled, once for all operators) and hands the chunk and
the results to ``post``, which only rearranges them. A fresh kernel is made for every run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["SKIPPED", "Caught", "Kernel"]


class Kernel:
    """Map kernel: the results are the output. Operators subclass it and override ``post``/``flush``."""

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
    """The engine's result for a call that raised one of its guard's ``catch`` exceptions."""

    __slots__ = ("error", "attempts")

    def __init__(self, error: Exception, attempts: int = 1) -> None:
        self.error = error
        self.attempts = attempts


SKIPPED: Any = object()
"""The result of an element its stage skipped; removed before the kernel's ``post`` sees the chunk."""
