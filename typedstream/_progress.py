"""``progress=True``: a live rich display of every stage's count and throughput, on stderr."""

from __future__ import annotations

from typing import Any

from ._report import RunReport

__all__ = ["ProgressDisplay"]


class ProgressDisplay:
    """One progress row per stage, fed by the run's snapshots (no thread: rich redraws when we update)."""

    def __init__(self, console: Any = None) -> None:
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        except ImportError as e:
            raise ImportError("progress=True needs rich: pip install 'typedstream[progress]'") from e
        self._progress = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>12}"),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console if console is not None else Console(stderr=True),
            auto_refresh=False,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._done: dict[str, int] = {}
        self._started = False

    def update(self, report: RunReport) -> None:
        progress = self._progress
        if not self._started:
            progress.start()
            self._started = True
        elapsed = report.wall_time or 1e-9
        for s in report.stages:
            task = self._tasks.get(s.name)
            if task is None:
                label = s.name if s.executor is None else f"{s.name} @{s.executor}"
                task = self._tasks[s.name] = progress.add_task(label, total=None, rate="", note="")
            note = ", ".join(
                f"{n:,} {what}" for n, what in ((s.skipped, "skipped"), (s.retried, "retried"), (s.failed, "failed")) if n
            )
            self._done[s.name] = s.items_out
            progress.update(task, completed=s.items_out, rate=f"{s.items_out / elapsed:,.0f}/s", note=note)
        progress.refresh()

    def close(self, report: RunReport) -> None:
        self.update(report)
        for name, task in self._tasks.items():
            self._progress.update(task, total=self._done[name])  # the bars end full
        self._progress.refresh()
        self._progress.stop()
