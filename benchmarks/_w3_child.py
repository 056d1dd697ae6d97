"""W3's child process: peak memory of ``map -> batch(1000) -> count`` over a lazy ``range`` source.

Run by ``w3_memory.w3_spawn`` (from ``benchmarks/run.py``) as ``python benchmarks/_w3_child.py N``; prints one
JSON line. It imports only what the measurement needs, so the baseline is the interpreter plus asyncio plus
typedstream.

Two peak figures are reported:

* ``ru_maxrss`` (``getrusage(RUSAGE_SELF)``): on Linux this is carried across ``fork``/``execve`` (see
  getrusage(2)), so it is at least the parent's peak RSS at the moment it spawned this process. The parent
  therefore starts this child before it allocates anything big.
* ``VmHWM`` (``/proc/self/status``, Linux only): the high-water mark of this process's own address space,
  which starts fresh at ``execve``. This is the exact figure.
"""

from __future__ import annotations

import resource
import sys


def rss_peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # macOS: bytes; Linux: KiB


def vm_hwm_mb() -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main(n: int) -> None:
    import asyncio
    import json
    import time

    import typedstream as ts

    baseline = {"ru_maxrss_mb": rss_peak_mb(), "vmhwm_mb": vm_hwm_mb()}

    def bump(x: int) -> int:
        return x + 1

    async def run() -> int:
        return await (ts.source(range(n)) | ts.map(bump) | ts.batch(1000)).into(ts.count())

    t0 = time.perf_counter()
    batches = asyncio.run(run())
    seconds = time.perf_counter() - t0
    peak = {"ru_maxrss_mb": rss_peak_mb(), "vmhwm_mb": vm_hwm_mb()}
    print(json.dumps({"baseline": baseline, "peak": peak, "batches": batches, "seconds": seconds}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
