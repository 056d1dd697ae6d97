"""The ``typedstream`` command end to end, in subprocesses: run, graph and the error cases."""

from __future__ import annotations

import json
import subprocess
import sys
import os
import signal
import textwrap
from pathlib import Path

import pytest

import typedstream as ts

from tests.support.paths import ROOT

SCRIPT = Path(sys.executable).parent / "typedstream"

PIPES = textwrap.dedent(
    '''
    import asyncio
    from dataclasses import dataclass

    import typedstream as ts


    @dataclass(frozen=True)
    class Point:
        x: int
        y: int


    def double(d: dict[str, int]) -> int:
        return d["x"] * 2


    def point(d: dict[str, int]) -> Point:
        return Point(d["x"], d["x"] + 1)


    def shout(line: str) -> str:
        return line.upper()


    async def slow(x: int) -> int:
        await asyncio.sleep(0.01)
        return x


    doubler = ts.map(double) | ts.filter(lambda n: n != 4, of=int)
    points = ts.map(point)
    shouter = ts.map(shout)
    numbers = ts.source(range(5)).map(slow)
    unserializable = ts.map(lambda d: object(), of=dict)


    def make() -> ts.Source[int]:
        return ts.source(range(3)).map(lambda x: x * 10)


    def needs_args(n: int) -> ts.Source[int]:
        return ts.source(range(n))


    def not_a_source() -> int:
        return 3


    not_a_pipeline = 3


    def halve(x: int) -> int:
        return 10 // x


    batch = ts.Pipeline("batch", int).step("halve", halve).step("show", str)
    '''
)


@pytest.fixture
def pipes(tmp_path: Path) -> Path:
    (tmp_path / "pipes.py").write_text(PIPES)
    return tmp_path


def typedstream(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "typedstream", *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("typedstream: error: "), result.stderr
    return lines[0]


def test_run_a_stream_over_json_lines(pipes: Path) -> None:
    rows = [{"x": x} for x in range(6)]
    stdin = "".join(json.dumps(r) + "\n" for r in rows) + "\n"  # a blank line holds no record
    result = typedstream("run", "pipes:doubler", "--report", "json", cwd=pipes, stdin=stdin)
    assert result.returncode == 0, result.stderr
    want = [r["x"] * 2 for r in rows if r["x"] * 2 != 4]
    assert [json.loads(line) for line in result.stdout.splitlines()] == want
    report = json.loads(result.stderr)
    assert report["outcome"] == "completed" and report["items"] == len(want)
    assert [s["name"] for s in report["stages"]] == ["source", "double", "filter"]
    assert report["stages"][2]["filtered"] == 1


def test_run_lines_from_a_file_into_a_file(pipes: Path) -> None:
    (pipes / "in.txt").write_text("ab\ncd\n")
    result = typedstream(
        "run", "pipes.py:shouter", "--format", "lines", "--input", "in.txt", "--output", "out.txt", "--report", "none",
        cwd=pipes,
    )
    assert result.returncode == 0, result.stderr
    assert (pipes / "out.txt").read_text() == "AB\nCD\n"
    assert result.stdout == result.stderr == ""


def test_input_files_with_a_bom_crlf_or_a_stray_cr(pipes: Path) -> None:
    (pipes / "in.jsonl").write_bytes(b'\xef\xbb\xbf{"x": 1}\r\n{"x": 3}\r\n')
    result = typedstream("run", "pipes:doubler", "--input", "in.jsonl", "--report", "none", cwd=pipes)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "6"]
    (pipes / "in.txt").write_bytes(b"a\rb\nc\n")
    result = typedstream(
        "run", "pipes:shouter", "--format", "lines", "--input", "in.txt", "--output", "out.txt", "--report", "none",
        cwd=pipes,
    )
    assert (pipes / "out.txt").read_bytes() == b"A\rB\nC\n"  # a line ends at \n only, as on stdin


def test_run_writes_dataclass_records_as_json(pipes: Path) -> None:
    result = typedstream("run", "pipes:points", "--report", "none", cwd=pipes, stdin='{"x": 1}\n{"x": 5}\n')
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"x": 1, "y": 2}, {"x": 5, "y": 6}]


@pytest.mark.parametrize(("target", "want"), [("pipes:make", [0, 10, 20]), ("pipes:numbers", [0, 1, 2, 3, 4])])
def test_run_a_source_or_a_function_returning_one(pipes: Path, target: str, want: list[int]) -> None:
    result = typedstream("run", target, cwd=pipes)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == want
    assert result.stderr.startswith(f"completed: {len(want)} items")  # the table


def test_progress_goes_to_stderr(pipes: Path) -> None:
    result = typedstream("run", "pipes:numbers", "--progress", "--report", "none", cwd=pipes)
    assert result.returncode == 0, result.stderr
    assert "slow" in result.stderr and result.stdout.split() == ["0", "1", "2", "3", "4"]


def test_a_malformed_json_line_is_reported_with_its_line_number(pipes: Path) -> None:
    (pipes / "in.jsonl").write_text('{"x": 1}\n{"x": 2}\n{"x": \n{"x": 4}\n')
    result = typedstream("run", "pipes:doubler", "--input", "in.jsonl", "--report", "none", cwd=pipes)
    line = one_error_line(result)
    assert "in.jsonl:3: malformed JSON" in line
    assert result.stdout.split() == ["2"]  # the lines before it went through (4 is filtered); none after


def test_every_valid_line_before_a_malformed_one_is_written(pipes: Path) -> None:
    """Malformed JSON at line 1,500 used to let only 1,023 of the 1,499 valid lines before it through (the rest of
    the source's chunk was lost)."""
    lines = [f'{{"x": {i}}}\n' for i in range(1, 1500)]
    (pipes / "in.jsonl").write_text("".join(lines) + "{oops\n")
    result = typedstream("run", "pipes:doubler", "--input", "in.jsonl", "--report", "none", cwd=pipes)
    assert "in.jsonl:1500: malformed JSON" in one_error_line(result)
    assert result.stdout.split() == [str(2 * i) for i in range(1, 1500) if 2 * i != 4]


def test_the_report_is_printed_for_a_failed_run_too(pipes: Path) -> None:
    result = typedstream("run", "pipes:doubler", "--report", "json", cwd=pipes, stdin='{"x": 1}\n{"y": 2}\n')
    assert result.returncode == 1
    report_text, _, error = result.stderr.rpartition("\n}\n")
    report = json.loads(report_text + "\n}")
    assert report["outcome"] == "failed" and report["error"] == "KeyError: 'x'"
    assert error.startswith("typedstream: error: KeyError: 'x'") and "stage 'double'" in error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nosuchmodule:x"], "no module named 'nosuchmodule'"),
        (["run", "missing.py:x"], "no such file: missing.py"),
        (["run", "pipes:nothing"], "pipes has no attribute 'nothing'"),
        (["run", "pipes:not_a_pipeline"], "is of type int, not a Stream, a Pipeline, a Source or a function returning a Source"),
        (["run", "pipes:needs_args"], "is a function that needs arguments"),
        (["run", "pipes:not_a_source"], "pipes:not_a_source() returned int, not a Source"),
        (["run", "pipes"], "expected MODULE:ATTR"),
        (["run", "pipes:make", "--input", "x.jsonl"], "is a Source with its own input"),
        (["run", "pipes:doubler", "--input", "nope.jsonl"], "cannot read --input nope.jsonl"),
        (["graph", "pipes:not_a_pipeline"], "is of type int"),
    ],
)
def test_bad_targets_give_one_line_and_a_non_zero_exit(pipes: Path, args: list[str], message: str) -> None:
    assert message in one_error_line(typedstream(*args, cwd=pipes))


def test_run_and_graph_a_batch_pipeline(pipes: Path) -> None:
    result = typedstream("run", "pipes:batch", "--report", "none", cwd=pipes, stdin="5\n0\n2\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0] == {"ok": "2"} and out[2] == {"ok": "5"}
    assert out[1]["error"].startswith("StepError: pipeline 'batch': step 'halve' failed after 1 attempt(s): ZeroDivisionError")
    shown = typedstream("graph", "pipes:batch", cwd=pipes)
    assert shown.returncode == 0 and '["halve<br/>step<br/>int → int"]' in shown.stdout, shown


def test_an_output_that_is_not_json_names_the_element(pipes: Path) -> None:
    result = typedstream("run", "pipes:unserializable", "--report", "none", cwd=pipes, stdin='{"x": 1}\n')
    assert "output element 1: object is not JSON serializable" in one_error_line(result)


def test_bad_usage_exits_2(pipes: Path) -> None:
    assert typedstream("run", cwd=pipes).returncode == 2
    assert typedstream("graph", "pipes:make", "--format", "png", cwd=pipes).returncode == 2


def test_graph_mermaid_and_dot(pipes: Path) -> None:
    mermaid = typedstream("graph", "pipes:doubler", cwd=pipes)
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.splitlines() == [
        "flowchart LR",
        '    s0(["input"])',
        '    s1["double<br/>map<br/>dict[str, int] → int"]',
        '    s2["filter"]',
        "    s0 --> s1",
        "    s1 --> s2",
    ]
    dot = typedstream("graph", "pipes:numbers", "--format", "dot", cwd=pipes)
    assert dot.returncode == 0, dot.stderr
    assert 's1 [label="slow\\nmap\\nint → int"];' in dot.stdout and "s0 -> s1;" in dot.stdout


def test_the_installed_console_script_runs() -> None:
    result = subprocess.run([str(SCRIPT), "graph", "examples/demo.py:pipeline"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "price" in result.stdout


def test_the_docs_show_the_demo_graph_as_it_is() -> None:
    from typedstream.cli import load

    diagram = ts.graph(load(str(ROOT / "examples" / "demo.py") + ":pipeline"))
    assert f"```mermaid\n{diagram}\n```" in (ROOT / "docs" / "metrics.md").read_text()


def test_graph_of_merged_sources_names_stages_as_a_run_does() -> None:
    src = ts.source([1]).map(str).merge(ts.source([2]).map(str)).map(str)
    text = ts.graph(src)
    assert '["str#2<br/>map' in text and "s4 --> s2" in text and "s2 --> s5" in text
    with pytest.raises(ValueError, match="graph format"):
        ts.graph(src, "png")  # type: ignore[arg-type]


def test_undecodable_bytes_name_the_file_and_line_and_the_lines_before_them_go_through(pipes: Path) -> None:
    """A bare UnicodeDecodeError used to end the run, naming neither, and losing the valid lines before it."""
    (pipes / "in.txt").write_bytes(b"a\nb\nc\xff\xfed\ne\n")
    result = typedstream("run", "pipes:shouter", "--input", "in.txt", "--format", "lines", "--report", "none", cwd=pipes)
    assert "in.txt:3: not UTF-8" in one_error_line(result)
    assert result.stdout.split() == ["A", "B"]


def test_a_module_named_by_dots_finds_the_modules_beside_it() -> None:
    """examples/demo.py imports its sibling orders.py: as examples.demo it used to fail with No module named 'orders'."""
    result = subprocess.run(
        [sys.executable, "-m", "typedstream", "graph", "examples.demo:pipeline"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("flowchart LR") and "parse" in result.stdout


def _live(pipes: Path, target: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "typedstream", "run", target, "--format", "lines"],
        cwd=pipes, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, whoever runs us
    )


def test_live_input_is_processed_line_by_line_and_ctrl_c_works_while_it_is_idle(pipes: Path) -> None:
    """stdin used to be read on the event loop in growing chunks: a line was processed only when its chunk
    filled, and the first Ctrl-C did nothing while the input was idle."""
    proc = _live(pipes, "pipes:shouter")
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        for word in ("one", "two", "three"):
            proc.stdin.write(f"{word}\n".encode())
            proc.stdin.flush()
            assert proc.stdout.readline() == f"{word.upper()}\n".encode()  # before any more input comes
        proc.send_signal(signal.SIGINT)  # stdin stays open and idle
        assert proc.wait(timeout=10) == 130
        err = proc.stderr.read().decode()
        assert err.rstrip().endswith("typedstream: interrupted") and "cancelled: 3 items delivered" in err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()
