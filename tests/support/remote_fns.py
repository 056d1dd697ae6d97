"""Functions for executor tests: module-level, so worker processes can import them by reference.

State that must be seen across processes (how often an element was tried, which calls started and ended) is
kept as marker files in a directory the test passes in with the element.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(x: int) -> int:
    return x * x


def is_even(x: int) -> bool:
    return x % 2 == 0


def repeat(x: int) -> list[int]:
    return [x] * (x % 3)


def bad_if_3_mod_7(x: int) -> int:
    if x % 7 == 3:
        raise ValueError(f"bad {x}")
    return x


def unpicklable_result(x: int) -> object:
    return (lambda: x) if x == 2 else x


def flaky(item: tuple[str, int]) -> int:
    """Fails the first time it sees each element, then succeeds."""
    where, x = item
    marker = Path(where) / f"tried-{x}"
    if not marker.exists():
        marker.touch()
        raise ConnectionError(f"first try of {x}")
    return x


def dies_on_13(x: int) -> int:
    if x == 13:
        os._exit(1)  # the worker process dies: no exception, no result
    return x


def marked(item: tuple[str, int]) -> int:
    """Leaves a file when the call starts and another when it ends, 20 ms later."""
    where, x = item
    (Path(where) / f"start-{x}").touch()
    time.sleep(0.02)
    (Path(where) / f"end-{x}").touch()
    return x


def spin(x: int, seconds: float = 0.002) -> int:
    """``seconds`` of pure-Python CPU work."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass
    return x


def dies_on_multiples_of_9(x: int) -> int:
    if x % 9 == 0 and x > 0:
        os._exit(1)
    return x


def with_pid(x: int) -> tuple[int, int]:
    return x, os.getpid()


def same_pid(item: tuple[int, int]) -> bool:
    return item[1] == os.getpid()


def half_if_even(x: int) -> int:
    if x % 5 == 4:
        raise ValueError(f"bad {x}")
    return x // 2
