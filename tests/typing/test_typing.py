"""The typing suite: mypy --strict, pyright strict and pyrefly (strict preset) over ``tests/typing``.

- ``tests/typing/pass/*.py`` pin the exact type of every documented usage with ``typing.assert_type``; both
  checkers must report no error at all.
- ``tests/typing/fail/*.py`` mark each line that must be rejected with ``# E: <reason>``; for each checker, every
  marked line must have an error and no unmarked line may have one (a reason with ``(not pyrefly: why)`` names a
  documented limit of that checker).

Each checker runs once over the pass files and once over the fail files (module-scoped fixtures). Also: the
README quick start (``pass/quickstart.py``) runs, and no public signature of ``typedstream`` exposes ``Any``.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import typedstream

from tests.support.paths import ROOT

TYPING_DIR = ROOT / "tests" / "typing"
PASS_DIR = TYPING_DIR / "pass"
FAIL_DIR = TYPING_DIR / "fail"
BIN = Path(sys.executable).parent
TIMEOUT = 180
MARKER = re.compile(r"#\s*E:(?P<reason>.*)$")
MYPY_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*)$")


# Errors that only follow from another error on the same line (a result type the checker could not infer). A
# marked line needs a primary error: the misuse itself must be rejected, not merely leave an unknown type behind.
SECONDARY_MYPY = re.compile(r"\[var-annotated\]$")
SECONDARY_PYRIGHT = re.compile(r"\(reportUnknown\w+\)$")
SECONDARY_PYREFLY = re.compile(r"\[implicit-any[\w-]*\]$")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: Path
    line: int  # 1-based
    message: str
    secondary: bool = False

    def __str__(self) -> str:
        return f"{_rel(self.file)}:{self.line}: {self.message}"


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def pass_files() -> list[Path]:
    return sorted(PASS_DIR.glob("*.py"))


def fail_files() -> list[Path]:
    return sorted(FAIL_DIR.glob("*.py"))


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as e:  # pragma: no cover - only on a hung checker
        pytest.fail(f"{what} did not finish in {TIMEOUT} s: {' '.join(cmd)}\n{e.stdout!r}\n{e.stderr!r}")


# -- running the checkers ---------------------------------------------------------------------------------------


def run_mypy(files: Iterable[Path], cache_dir: Path) -> list[Diagnostic]:
    """mypy with the repo configuration over exactly ``files``; the errors it reports."""
    cmd = [
        str(BIN / "mypy"),
        "--config-file",
        str(ROOT / "mypy.ini"),
        "--cache-dir",
        str(cache_dir),
        "--show-absolute-path",
        "--no-pretty",
        "--no-error-summary",
        "--hide-error-context",
        *(str(f) for f in files),
    ]
    proc = _run(cmd, "mypy")
    # 0: clean, 1: type errors, 2: crash or bad usage
    assert proc.returncode in (0, 1), f"mypy failed to run ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    errors: list[Diagnostic] = []
    for raw in proc.stdout.splitlines():
        m = MYPY_LINE.match(raw)
        if m is None:
            assert not raw.strip() or ": note:" in raw, f"unparsed mypy output line: {raw!r}"
            continue
        if m["severity"] == "error":
            message = m["message"]
            errors.append(
                Diagnostic(Path(m["file"]).resolve(), int(m["line"]), message, bool(SECONDARY_MYPY.search(message)))
            )
    assert (proc.returncode == 0) == (not errors), f"mypy exit {proc.returncode} but parsed {len(errors)} errors"
    return errors


def run_pyright(files: Iterable[Path], config: Path) -> list[Diagnostic]:
    """pyright with ``config`` (a pyrightconfig.json or a project directory) over ``files``; its errors."""
    cmd = [
        str(BIN / "pyright"),
        "-p",
        str(config),
        "--pythonpath",
        sys.executable,
        "--outputjson",
        *(str(f) for f in files),
    ]
    proc = _run(cmd, "pyright")
    # 0: clean, 1: errors; 2 and up: fatal, config or usage errors
    assert proc.returncode in (0, 1), f"pyright failed to run ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(proc.stdout)
    errors: list[Diagnostic] = []
    for d in report["generalDiagnostics"]:
        if d["severity"] != "error":
            continue
        rule = f" ({d['rule']})" if "rule" in d else ""
        message = " ".join(str(d["message"]).split())
        message += rule
        line = int(d["range"]["start"]["line"]) + 1
        errors.append(Diagnostic(Path(d["file"]).resolve(), line, message, bool(SECONDARY_PYRIGHT.search(message))))
    assert report["summary"]["filesAnalyzed"] >= 1, f"pyright analysed no file:\n{proc.stdout}"
    return errors


def run_pyrefly(files: Iterable[Path]) -> list[Diagnostic]:
    """pyrefly with the repo's ``[tool.pyrefly]`` settings (the strict preset) over exactly ``files``."""
    cmd = [str(BIN / "pyrefly"), "check", "-c", str(ROOT / "pyproject.toml"), "--output-format", "json", "--summary=none"]
    cmd += [str(f) for f in files]
    proc = _run(cmd, "pyrefly")
    # 0: clean, 1: errors
    assert proc.returncode in (0, 1), f"pyrefly failed to run ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    errors: list[Diagnostic] = []
    for d in json.loads(proc.stdout)["errors"]:
        if d["severity"] != "error":
            continue
        message = f"{' '.join(str(d['description']).split())} [{d['name']}]"
        path = Path(d["path"])
        errors.append(Diagnostic((path if path.is_absolute() else ROOT / path).resolve(), int(d["line"]), message,
                                 bool(SECONDARY_PYREFLY.search(message))))
    assert (proc.returncode == 0) == (not errors), f"pyrefly exit {proc.returncode} but parsed {len(errors)} errors"
    return errors


def write_pyright_config(directory: Path) -> Path:
    """A strict config that sees the repo (the editable install is invisible to pyright outside it) and does not
    exclude the fail files; unused variables and expressions are allowed there (``_x = misuse``)."""
    config = directory / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "pythonVersion": "3.11",
                "extraPaths": [str(ROOT)],
                "stubPath": str(ROOT / "stubs"),
                "reportUnusedExpression": False,
                "reportUnusedVariable": False,
                "reportUnnecessaryTypeIgnoreComment": "error",
            },
            indent=2,
        )
    )
    return config


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # one cache for both runs: the second one reuses the stdlib and typedstream entries
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(scope="module")
def mypy_pass(mypy_cache: Path) -> list[Diagnostic]:
    return run_mypy(pass_files(), mypy_cache)


@pytest.fixture(scope="module")
def mypy_fail(mypy_cache: Path) -> list[Diagnostic]:
    return run_mypy(fail_files(), mypy_cache)


@pytest.fixture(scope="module")
def pyright_pass() -> list[Diagnostic]:
    # the pass files are part of the project: check them with the repo's own [tool.pyright] settings
    return run_pyright(pass_files(), ROOT)


@pytest.fixture(scope="module")
def pyright_fail(tmp_path_factory: pytest.TempPathFactory) -> list[Diagnostic]:
    return run_pyright(fail_files(), write_pyright_config(tmp_path_factory.mktemp("pyright")))


@pytest.fixture(scope="module")
def pyrefly_pass() -> list[Diagnostic]:
    return run_pyrefly(pass_files())


@pytest.fixture(scope="module")
def pyrefly_fail() -> list[Diagnostic]:
    return run_pyrefly(fail_files())


# -- markers ----------------------------------------------------------------------------------------------------


def expected_errors(files: Iterable[Path]) -> dict[tuple[Path, int], str]:
    """``(file, line) -> reason`` for every line marked ``# E: <reason>``."""
    marked: dict[tuple[Path, int], str] = {}
    for path in files:
        for lineno, text in enumerate(path.read_text().splitlines(), start=1):
            m = MARKER.search(text)
            if m is not None:
                marked[(path.resolve(), lineno)] = m["reason"].strip()
    return marked


def check_markers(checker: str, errors: list[Diagnostic], files: list[Path]) -> None:
    """Every marked line rejected, no other line. A reason saying ``(not <checker>: why)`` is a documented limit of that
    checker (docs/typing.md): it need not reject the line."""
    marked = expected_errors(files)
    exempt = {key for key, reason in marked.items() if re.search(rf"\(not {checker}\b", reason)}
    by_line: dict[tuple[Path, int], list[Diagnostic]] = {}
    for e in errors:
        by_line.setdefault((e.file, e.line), []).append(e)
    rejected = {key for key, found in by_line.items() if any(not e.secondary for e in found)}
    missed = sorted(set(marked) - rejected - exempt)
    unexpected = sorted(set(by_line) - set(marked))
    problems: list[str] = []
    if missed:
        problems.append(f"{checker} ACCEPTS {len(missed)} marked line(s) that must be rejected:")
        for key in missed:
            problems.append(f"  {_rel(key[0])}:{key[1]}: expected an error: {marked[key]}")
            problems.extend(f"    only a consequential error: {e.message}" for e in by_line.get(key, []))
    if unexpected:
        problems.append(f"{checker} reports errors on {len(unexpected)} unmarked line(s):")
        problems.extend(f"  {e}" for key in unexpected for e in by_line[key])
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def format_errors(checker: str, errors: list[Diagnostic]) -> str:
    return f"{checker} reports {len(errors)} error(s) in the pass files:\n" + "\n".join(f"  {e}" for e in errors)


# -- the tests --------------------------------------------------------------------------------------------------


def test_typing_files_exist() -> None:
    assert len(pass_files()) >= 5, pass_files()
    assert (PASS_DIR / "quickstart.py").is_file()
    assert len(fail_files()) >= 3, fail_files()
    for path in fail_files():
        marks = expected_errors([path])
        assert marks, f"{_rel(path)} has no '# E:' marker"
        for (_, line), reason in marks.items():
            assert reason, f"{_rel(path)}:{line}: a '# E:' marker needs a short reason"
    for path in pass_files():
        assert "# E:" not in path.read_text(), f"{_rel(path)}: a pass file has an error marker"


def test_mypy_accepts_pass_files(mypy_pass: list[Diagnostic]) -> None:
    if mypy_pass:
        pytest.fail(format_errors("mypy", mypy_pass), pytrace=False)


def test_pyright_accepts_pass_files(pyright_pass: list[Diagnostic]) -> None:
    if pyright_pass:
        pytest.fail(format_errors("pyright", pyright_pass), pytrace=False)


def test_pyrefly_accepts_pass_files(pyrefly_pass: list[Diagnostic]) -> None:
    if pyrefly_pass:
        pytest.fail(format_errors("pyrefly", pyrefly_pass), pytrace=False)


def test_pyrefly_rejects_exactly_the_marked_lines(pyrefly_fail: list[Diagnostic]) -> None:
    check_markers("pyrefly", pyrefly_fail, fail_files())


def test_mypy_rejects_exactly_the_marked_lines(mypy_fail: list[Diagnostic]) -> None:
    check_markers("mypy", mypy_fail, fail_files())


def test_pyright_rejects_exactly_the_marked_lines(pyright_fail: list[Diagnostic]) -> None:
    check_markers("pyright", pyright_fail, fail_files())


def test_pyright_parse_depth_is_the_documented_limit(tmp_path: Path) -> None:
    """docs/typing.md: pyright checks at most 254 ``|`` stages or 127 method stages in one expression; one more
    is "Maximum parse depth exceeded". If a pyright release lifts the limit, this fails and the docs change."""

    def chain(stages: int, method: bool) -> str:
        stage = ".map(inc)" if method else " | ts.map(inc)"
        return f"src = ts.source(range(3)){stage * stages}\nassert_type(src, ts.Source[int])\n"

    head = "import typedstream as ts\nfrom typing import assert_type\n\n\ndef inc(x: int) -> int:\n    return x + 1\n\n\n"
    cases = {"pipe_254": chain(254, False), "pipe_255": chain(255, False), "method_127": chain(127, True),
             "method_128": chain(128, True)}
    for name, body in cases.items():
        (tmp_path / f"{name}.py").write_text(head + body)
    errors = run_pyright(sorted(tmp_path.glob("*.py")), write_pyright_config(tmp_path))
    failing = {e.file.stem for e in errors if "parse depth" in e.message}
    assert failing == {"pipe_255", "method_128"}, errors
    assert {e.file.stem for e in errors} == failing, errors


def test_quickstart_runs() -> None:
    """The README quick start is a working program, not only a typed one."""
    proc = _run([sys.executable, str(PASS_DIR / "quickstart.py")], "quickstart.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "quickstart.py printed nothing"
    assert not proc.stderr, proc.stderr


# -- no Any in the public API -----------------------------------------------------------------------------------

ANY = re.compile(r"\bAny\b")
# The one place a checker forces Any: the send and yield types of the coroutine an async function returns.
FORCED_ANY = re.compile(r"\bCoroutine\[Any, Any, ")


def public_signatures() -> Iterator[tuple[str, Callable[..., object]]]:
    """Every public function, method, property and overload of ``typedstream`` as the checkers see them: the
    ``@overload`` signatures where there are some (the implementation's signature is hidden), else the function."""
    for name in typedstream.__all__:
        obj: object = getattr(typedstream, name)
        members: list[tuple[str, object]] = []
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_") and not (attr.startswith("__") and attr.endswith("__")):
                    continue
                members.append((f"{name}.{attr}", value.fget if isinstance(value, property) else value))
        else:
            members.append((name, obj))
        for label, member in members:
            if not inspect.isfunction(member):
                continue
            func = inspect.unwrap(member)
            for i, overload in enumerate(typing.get_overloads(func), start=1):
                yield f"{label} (overload {i})", overload
            if not typing.get_overloads(func):
                yield label, func


def test_no_any_in_public_signatures() -> None:
    checked = 0
    offenders: list[str] = []
    for label, func in public_signatures():
        annotations: dict[str, object] = dict(func.__annotations__)
        for param, annotation in annotations.items():
            checked += 1
            if ANY.search(FORCED_ANY.sub("", str(annotation))):
                offenders.append(f"  {label}: {param}: {annotation}")
    for name in typedstream.__all__:  # dataclass fields of public records
        obj: object = getattr(typedstream, name)
        if inspect.isclass(obj):
            for field, annotation in vars(obj).get("__annotations__", {}).items():
                checked += 1
                if ANY.search(str(annotation)):
                    offenders.append(f"  {name}.{field}: {annotation}")
    assert checked > 200, f"only {checked} annotations found: the walk over the public API is broken"
    if offenders:
        pytest.fail("Any in public signatures:\n" + "\n".join(offenders), pytrace=False)


# -- the migration guide ----------------------------------------------------------------------------------------

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def test_migration_guide_examples(tmp_path: Path, mypy_cache: Path) -> None:
    """docs/migration.md's Python blocks, in order, are one module: the three checkers pass it and it runs."""
    blocks = PYTHON_BLOCK.findall((ROOT / "docs" / "migration.md").read_text())
    assert len(blocks) >= 6
    module = tmp_path / "migration_guide.py"
    module.write_text("\n\n".join(blocks))
    assert run_mypy([module], mypy_cache) == []
    assert run_pyright([module], write_pyright_config(tmp_path)) == []
    assert run_pyrefly([module]) == []
    proc = _run([sys.executable, str(module)], "migration_guide.py")
    assert proc.returncode == 0, proc.stderr
