"""The engine's only input: a plain description of a pipeline, an ``Origin`` and a flat tuple of ``Op`` values.

Operators build ``Op``s and the typed faces (``Source``, ``Stream``) hold them; the engine never sees the faces.
What the engine needs to know about an operator is stated here as typed facts, never read from its name.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .._ratelimit import RateLimit
from .._retry import Retry
from .._sinks import Sink
from .executors import Remote
from .kernel import Kernel

__all__ = ["MAX_CHUNK", "ORIGIN", "Chain", "Chunks", "Guard", "Limits", "Op", "Origin", "Pull", "Shape", "StageContext"]

Chunks = AsyncIterator[list[Any]]
"""What flows between stages: non-empty lists of elements."""

MAX_CHUNK = 1024
"""The largest chunk the engine makes itself (reading a sync iterable, gathering flat_map's outputs)."""



class StageContext(Protocol):
    """What a puller may use of its stage in the run: the engine counts and times everything else."""

    @property
    def name(self) -> str:
        """Unique within the run: for error notes."""
        ...

    async def call(self, fn: Callable[[Any], Any], x: Any) -> Any:
        """``fn(x)`` as the stage's call: timed, guarded (retry, catch, skip) and counted when it fails."""
        ...

    def failure(self, exc: BaseException, element: object) -> BaseException:
        """``exc`` ended the stage's work on ``element`` (outside a call): count it, note where it happened."""
        ...


Pull = Callable[[list[Chunks], StageContext], Chunks]
"""An async stage: reads its inputs (the upstream first, then the op's ``sources``) and yields chunks."""


class Shape(enum.Enum):
    """What a stage does to the number of elements, and so which accounting holds for it."""

    ORIGIN = "origin"
    """Produces elements and takes none (a source)."""
    ONE_TO_ONE = "one_to_one"
    """At most one output per input: ``items_in == items_out + filtered + skipped + failed``."""
    PASS_THROUGH = "pass_through"
    """Passes every element on unchanged, maybe later (buffer, timeout, throttle): in is what went out."""
    RESHAPING = "reshaping"
    """Outputs are not bounded by inputs (flat_map, batch, merge, ...); ``items_in`` is what it took in."""


@dataclass(frozen=True, slots=True)
class Guard:
    """What the engine does when a stage's function raises: retry, catch into a value, skip, or fail."""

    retry: Retry | None = None
    skip: bool = False
    dead_letter: Sink[Any, object] | None = None
    catch: tuple[type[Exception], ...] = ()
    """Exceptions that become values (try_map's ``Failure``, a Pipeline step's ``StepError``)."""
    catch_shown: bool = True
    """Whether graphs show the catch (a Pipeline step's catch-all is how it reports, not a user option)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What bounds each call of a stage's function, each attempt: a token from a shared rate limit before it
    (``cost(x)`` tokens, default one), and a timeout around it."""

    rate_limit: RateLimit | None = None
    cost: Callable[[Any], float] | None = None
    timeout: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One stage: a kernel (a function per element or per chunk, fused when synchronous) or a puller."""

    name: str
    kind: str
    """The operator, as reports and graphs show it ("map", "buffer", ...)."""
    shape: Shape = Shape.ONE_TO_ONE
    kernel: Callable[[], Kernel] | None = None
    """A fresh kernel per run (it carries the operator's state)."""
    pull: Pull | None = None
    sources: tuple[Chain, ...] = ()
    """Other chains the puller reads (merge, concat, zip)."""
    is_async: bool = False
    """The kernel's function is a coroutine function: the stage is an async boundary."""
    concurrency: int = 1
    ordered: bool = True
    window: int = 0
    guard: Guard | None = None
    """None: a failure ends the run (the fast path carries nothing)."""
    fn: Callable[..., Any] | None = None
    """The user's function (its annotations show in graphs)."""
    remote: Remote | None = None
    """The executor the kernel's function runs on (in chunks of elements); None: on the event loop."""
    limits: Limits | None = None
    """None: calls are not rate-limited or timed out (the fast path)."""

    @property
    def fusable(self) -> bool:
        return (
            self.kernel is not None
            and not self.is_async
            and self.concurrency == 1
            and self.remote is None
            and self.limits is None  # each call awaits its token first
        )


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a chain's elements come from: ``read()`` opens its chunks for one run."""

    read: Callable[[str], Chunks]
    """Opens the chunks for one run; the argument is the source stage's name, for the note on its errors."""
    label: str
    """What it reads, for reprs ("iterable", "aiterable", "chunks")."""


@dataclass(frozen=True, slots=True)
class Chain:
    """A runnable pipeline: an origin and the ops after it, in order."""

    origin: Origin
    ops: tuple[Op, ...] = ()


ORIGIN = Op(name="source", kind="source", shape=Shape.ORIGIN)
"""The stage every chain starts with: it counts what the origin produced."""
