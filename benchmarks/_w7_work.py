"""W7's per-element work, in a module of its own so worker processes import it by reference."""

from __future__ import annotations

import time

SECONDS = 0.002


def parse(line: str) -> int:
    return int(line.split(",")[0])


def heavy(x: int) -> int:
    """``SECONDS`` of pure-Python CPU (a loop holding the GIL, as parsing or hashing in Python does)."""
    until = time.perf_counter() + SECONDS
    acc = x
    while time.perf_counter() < until:
        acc = (acc * 31 + 7) % 1_000_003
    return x
