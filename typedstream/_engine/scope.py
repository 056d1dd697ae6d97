"""The scope of one run: its stages, and everything it opened, closed once in reverse order of opening."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .chain import Op
from .guard import DeadLetters
from .metrics import Checkpoints, Waits
from .stage import Stage

__all__ = ["Run"]


class Run:
    """Every generator a run creates is registered here; ``aclose`` closes them downstream first, then lets the
    dead-letter sinks finish. Stages are created here only, so their names are unique within the run."""

    __slots__ = ("_closers", "_closed", "_names", "stages", "letters", "output", "checks")

    def __init__(self) -> None:
        self._closers: list[Callable[[], Awaitable[object]]] = []
        self._closed = False
        self._names: set[str] = set()
        self.stages: list[Stage] = []  # in pipeline order: the run's per-stage accounting
        self.output = Waits()  # the consumer's side of the last boundary: what the run delivered
        self.letters: list[DeadLetters] = []  # dead-letter sinks started in this run
        self.checks = Checkpoints()  # loop turns and swallowed cancellations, checked at every boundary

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
        st = Stage(op, name, len(self.stages), self.letters)
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
