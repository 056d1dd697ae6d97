"""The demo end to end on a small data set: what lands in SQLite matches what the generator produced."""

from __future__ import annotations

import io
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import demo
from orders import Lines, generate

import typedstream as ts

from tests.support.paths import ROOT


async def test_the_demo_writes_every_valid_event_and_dead_letters_every_malformed_one(tmp_path: Path) -> None:
    data = generate(tmp_path / "orders.jsonl", 2_000, seed=5)
    assert 40 < len(data.malformed) < 130  # about 4 %
    db = tmp_path / "out.sqlite"
    out = io.StringIO()
    figures = await demo.run_demo(data, db, out=out)
    valid = data.events - len(data.malformed)
    assert figures["orders"] == figures["written"] == valid
    assert figures["dead_letters"] == len(data.malformed)
    assert figures["batch_priced"] == valid and figures["batch_failed"] == len(data.malformed)
    assert figures["same"] == 1
    assert figures["scored"] == valid  # every stored order scored on the process pool
    lines = list(Lines(data.path))
    with sqlite3.connect(db) as conn:
        letters = {row[0] for row in conn.execute("SELECT line FROM dead_letters")}
        ids = {row[0] for row in conn.execute("SELECT order_id FROM orders")}
    assert letters == {lines[n - 1] for n in data.malformed}
    assert ids == set(range(1, data.events + 1)) - data.malformed  # order ids are line numbers
    assert "same totals as the stream: yes" in out.getvalue()

    # re-running replaces rows instead of adding them
    again = await demo.run_demo(data, db, out=io.StringIO())
    assert (again["orders"], again["dead_letters"]) == (valid, len(data.malformed))


def test_the_data_set_is_deterministic(tmp_path: Path) -> None:
    a = generate(tmp_path / "a.jsonl", 300, seed=9)
    b = generate(tmp_path / "b.jsonl", 300, seed=9)
    assert a.path.read_text() == b.path.read_text() and a.malformed == b.malformed


def test_main_runs_with_its_options(tmp_path: Path) -> None:
    code = demo.main(["--events", "400", "--data", str(tmp_path / "d.jsonl"), "--db", str(tmp_path / "d.sqlite")])
    assert code == 0 and (tmp_path / "d.sqlite").exists()


def test_the_demo_pipeline_factory_is_a_source() -> None:
    assert isinstance(demo.pipeline(), ts.Source)


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    """It used to print a 50-line traceback through the library's internals."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--db", str(tmp_path / "o.sqlite"), "--data",
         str(tmp_path / "d.jsonl"), "--events", "30000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("data set ")  # generated: the stream is running now
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.strip() == "demo: interrupted"
    assert "cancelled: " in out  # the report of the interrupted run
