"""W3: bounded memory. Peak RSS of ``n`` elements from a lazy ``range`` through ``map -> batch(1000) -> count``.

The measurement runs in a fresh interpreter (``_w3_child.py``, which imports only asyncio and typedstream) and
reports the baseline after imports and the peak at the end, as ``ru_maxrss`` and, on Linux, ``VmHWM``. On Linux
``ru_maxrss`` survives fork and execve, so ``run.py`` spawns the child (``w3_spawn``) before any other workload
allocates anything, and ``w3`` reads its output afterwards. Target: peak RSS < 100 MB (VmHWM where it exists).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from harness import Section


def w3_spawn(n: int) -> subprocess.CompletedProcess[str]:
    """Run the W3 child. Called before any other workload: see _w3_child.py on why (ru_maxrss is inherited)."""
    return subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parent / "_w3_child.py"), str(n)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def w3(n: int, proc: subprocess.CompletedProcess[str]) -> Section:
    sec = Section(
        "W3", f"W3  peak RSS: {n:,} elements through map -> batch(1000) -> count (range source, fresh process)"
    )
    if proc.returncode != 0:
        sec.lines.append(f"child failed (exit {proc.returncode}):\n{textwrap.indent(proc.stderr, '    ')}")
        sec.verdicts.append(("peak RSS < 100 MB: child failed", False))
        sec.errors.append(f"the child process failed (exit {proc.returncode})")
        return sec
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    base_ru, peak_ru = float(out["baseline"]["ru_maxrss_mb"]), float(out["peak"]["ru_maxrss_mb"])
    hwm = out["peak"]["vmhwm_mb"]
    base_hwm = out["baseline"]["vmhwm_mb"]
    batches, secs = int(out["batches"]), float(out["seconds"])
    expected = -(-n // 1000)
    sec.data.update(out)
    sec.lines += [
        f"{'':28}{'ru_maxrss':>10}{'VmHWM':>10}",
        f"{'baseline after imports':28}{base_ru:>8.1f}MB{_mb(base_hwm):>10}",
        f"{'peak at the end':28}{peak_ru:>8.1f}MB{_mb(hwm):>10}",
        f"run time {secs:.2f} s ({n / secs / 1e6:.1f} M elements/s); "
        f"{batches:,} batches counted (expected {expected:,})" + ("" if batches == expected else "   WRONG RESULT"),
    ]
    if batches != expected:
        sec.errors.append(f"counted {batches:,} batches, expected {expected:,}")
    peak = float(hwm) if hwm is not None else peak_ru
    sec.data["peak_mb"] = peak
    sec.verdicts.append((f"peak RSS < 100 MB: {peak:.1f} MB", peak < 100 and batches == expected))
    return sec


def _mb(x: object) -> str:
    return f"{x:.1f}MB" if isinstance(x, (int, float)) else "n/a"
