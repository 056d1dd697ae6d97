"""The record a run leaves behind."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunReport"]


@dataclass(frozen=True, slots=True)
class RunReport:
    """What ``await src.run()`` returns."""

    items: int
    """Elements that reached the end of the pipeline."""
    wall_time: float
    """Seconds from the first pull to the moment every task and generator was closed."""

    @property
    def throughput(self) -> float:
        """Elements per second at the end of the pipeline."""
        return self.items / self.wall_time if self.wall_time > 0 else 0.0
