"""typedstream benchmarks: throughput, concurrency, memory and type-checking cost.

Usage::

    python benchmarks/run.py                  # everything (a few minutes)
    python benchmarks/run.py --quick          # smaller sizes, fewer rounds (a smoke test)
    python benchmarks/run.py --only W1,W2b    # a subset
    python benchmarks/run.py --json out.json  # also write the numbers as JSON
    python benchmarks/run.py --only W1 --baseline b0b89c8   # W1 against typedstream at another revision

Everything runs in this one process, on the same data, except W3 (peak RSS needs a fresh process) and W4 (the
type checkers are separate programs). Nothing is written into the repository; W4's generated files live in a
temporary directory. See benchmarks/README.md for what each workload measures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from harness import Section, print_section, summary, write_json
from w1_throughput import DEFAULT_BASELINE, w1
from w2_concurrency import w2, w2b
from w3_memory import w3, w3_spawn
from w4_typecheck import w4
from w5_pipeline import w5
from w6_async_stages import w6
from w7_executors import w7
from w8_services import w8


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated workloads: W1,W2,W2b,W3,W4,W5,W6,W7,W8")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--rounds", type=int, help="timed rounds per contender (default 5, or 3 with --quick)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        default=DEFAULT_BASELINE,
        help="git revision whose typedstream W1 also times, in the same process "
        f"(default {DEFAULT_BASELINE}, the engine before per-stage timing)",
    )
    return parser


def _choose(parser: argparse.ArgumentParser, only: str | None, keys: Sequence[str]) -> list[str]:
    """The workloads ``--only`` names (any case), in its order; all of them without it."""
    if not only:
        return list(keys)
    wanted = [w.strip().lower() for w in only.split(",") if w.strip()]
    by_lower = {k.lower(): k for k in keys}
    unknown = [w for w in wanted if w not in by_lower]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {', '.join(keys)}")
    return [by_lower[w] for w in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    quick: bool = args.quick
    rounds: int = args.rounds or (3 if quick else 5)
    if rounds < 1:
        parser.error("--rounds must be >= 1")
    baseline: str = args.baseline
    w3_n = 1_000_000 if quick else 10_000_000
    workloads: dict[str, Callable[[], Section]] = {
        "W1": lambda: w1(100_000 if quick else 1_000_000, rounds, baseline),
        "W2": lambda: w2(500 if quick else 2_000, rounds),
        "W2b": lambda: w2b(400, min(rounds, 3)),
        "W3": lambda: w3(w3_n, w3_proc),
        "W4": lambda: w4(100, min(rounds, 3)),
        "W5": lambda: w5(2_000 if quick else 20_000, min(rounds, 3), None if baseline == DEFAULT_BASELINE else baseline),
        "W6": lambda: w6(10_000 if quick else 100_000, rounds, None if baseline == DEFAULT_BASELINE else baseline),
        "W7": lambda: w7(2_000 if quick else 20_000, 1 if quick else min(rounds, 2)),
        "W8": lambda: w8(1_000 if quick else 5_000),
    }
    chosen = _choose(parser, args.only, list(workloads))

    print(
        f"typedstream benchmarks — Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs"
        + ("  [--quick]" if quick else "")
    )
    sys.stdout.flush()
    started = time.perf_counter()
    # W3's child runs first, while this process is still small: on Linux a child's ru_maxrss starts at its
    # parent's peak RSS (it survives fork and execve), which W1's data would otherwise inflate.
    w3_proc = w3_spawn(w3_n) if "W3" in chosen else subprocess.CompletedProcess[str]([], 0, "", "")

    sections: list[Section] = []
    for key in chosen:
        sec = workloads[key]()
        sections.append(sec)
        print_section(sec)
        sys.stdout.flush()

    wrong = summary(sections, time.perf_counter() - started)
    if args.json:
        write_json(args.json, sections, quick=quick, rounds=rounds)
    # A contender that computed the wrong result invalidates the comparison: fail loudly.
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
