"""What the engine hands back when an element fails: dead letters for skipped elements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["DeadLetter"]

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class DeadLetter(Generic[T_co]):
    """An element that a stage with ``on_error="skip"`` dropped, and why."""

    element: T_co
    """The element as the stage received it."""
    exception: Exception
    """The exception of the last attempt (earlier attempts' exceptions are chained as ``__context__``). Its
    traceback is dropped: its frames would keep the element's whole chunk alive; ``raised_at`` says where."""
    stage: str
    """The name of the stage that dropped it."""
    attempts: int
    """How many times the stage's function was called on it (more than 1 with ``retry=``)."""
    raised_at: str = ""
    """Where the stage's function raised: ``file:line in function`` for each frame of the user's code, outermost
    first, joined by `` -> ``."""
