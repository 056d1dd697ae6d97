"""The record a run leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = ["RunReport", "StageMetrics"]

# Stages that pass on at most one element per element in: for them every element in is accounted for as
# passed on, filtered (a predicate, a limit or a duplicate), skipped or failed.
RESHAPING = frozenset({"source", "flat_map", "flatten", "batch", "batch_within", "merge", "concat", "zip"})


@dataclass(frozen=True, slots=True)
class StageMetrics:
    """What one stage did in one run.

    An element counts as in once the stage is done with it, so for every stage that is not reshaping
    (``flat_map``, ``flatten``, ``batch``, ``batch_within``, ``merge``, ``concat``, ``zip``)
    ``items_in == items_out + filtered + skipped + failed``, also when the run fails or stops early. Elements
    that were in flight between stages when a run ended early appear in one stage's ``items_out`` and in no
    later stage's ``items_in``.
    """

    RESHAPING: ClassVar[frozenset[str]] = RESHAPING
    """Kinds of stage whose output count is not bounded by their input count."""

    name: str
    kind: str
    items_in: int
    """Elements the stage finished with (a source has none: it only produces)."""
    items_out: int
    """Elements it passed on."""
    skipped: int
    """Elements dropped by ``on_error="skip"`` (each also sent to the dead-letter sink, if any)."""
    failed: int
    """Elements whose failure ended the run (normally 0 or 1; concurrent calls may fail together)."""
    retried: int
    """Extra calls made by ``retry=`` (attempts beyond the first, over all elements)."""

    @property
    def filtered(self) -> int:
        """Elements the stage chose not to pass on: a false predicate, a duplicate, beyond a ``take``, ..."""
        if self.kind in RESHAPING:
            return 0
        return self.items_in - self.items_out - self.skipped - self.failed


@dataclass(frozen=True, slots=True)
class RunReport:
    """What ``await src.run()`` returns."""

    items: int
    """Elements that reached the end of the pipeline."""
    wall_time: float
    """Seconds from the first pull to the moment every task and generator was closed."""
    stages: tuple[StageMetrics, ...] = ()
    """Per stage, in pipeline order (the sources of ``merge``/``concat``/``zip`` follow their stage)."""

    @property
    def throughput(self) -> float:
        """Elements per second at the end of the pipeline."""
        return self.items / self.wall_time if self.wall_time > 0 else 0.0

    @property
    def items_in(self) -> int:
        """Elements produced by the run's sources."""
        return sum(s.items_out for s in self.stages if s.kind == "source")

    @property
    def filtered(self) -> int:
        return sum(s.filtered for s in self.stages)

    @property
    def skipped(self) -> int:
        return sum(s.skipped for s in self.stages)

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.stages)

    @property
    def retried(self) -> int:
        return sum(s.retried for s in self.stages)

    def stage(self, name: str) -> StageMetrics:
        """The metrics of the first stage called ``name``."""
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(f"no stage named {name!r} in this run (stages: {', '.join(s.name for s in self.stages)})")
