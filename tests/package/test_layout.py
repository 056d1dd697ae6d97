"""The package's shape: imports in layers with no cycle, one export per public name, the generated surface fresh.

These read the source (``ast``), so they hold for every module, also those no test imports.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import shutil
import subprocess
import sys
import types
import typing
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from returns.result import Result, Success

import typedstream as ts
from typedstream._engine import Op, Shape
from typedstream._faces import description

from tests.support.paths import ROOT

PACKAGE = ROOT / "typedstream"

# What each part of the package may import from the rest of it (besides itself): the layers, top to bottom.
VALUES = {"typedstream._errors", "typedstream._pools", "typedstream._progress", "typedstream._ratelimit", "typedstream._report", "typedstream._retry",
          "typedstream._sinks", "typedstream._validate"}
ALLOWED: dict[str, set[str]] = {
    **{value: VALUES for value in VALUES},
    "typedstream._engine": VALUES,
    "typedstream._ops": VALUES | {"typedstream._engine"},
    "typedstream._faces": VALUES | {"typedstream._engine", "typedstream._ops"},
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (a name imported from a module counts as the module)
    line: int
    local: bool  # inside a function
    type_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path = ROOT) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path, root: Path = ROOT) -> Iterator[Import]:
    module = module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def visit(node: ast.AST, local: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, True, type_only)
            elif isinstance(child, ast.If) and ast.unparse(child.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                yield from visit(child, local, True)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "typedstream":
                        yield Import(module, alias.name, child.lineno, local, type_only)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{base}.{child.module}" if child.module else base
                else:
                    base = child.module or ""
                if base.split(".")[0] != "typedstream":
                    continue
                for alias in child.names:
                    target = f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}", root) else base
                    yield Import(module, target, child.lineno, local, type_only)
            else:
                yield from visit(child, local, type_only)

    yield from visit(tree, False, False)


def package_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in imports(path)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), plus self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: list[str] = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return found


def test_the_package_imports_in_layers_without_a_cycle() -> None:
    found = package_imports()
    assert len(found) > 50, "the import walk found almost nothing: it is broken"
    local = [f"{i.module}:{i.line} imports {i.target}" for i in found if i.local]
    assert not local, "function-local imports of the package's own modules:\n" + "\n".join(local)
    edges: dict[str, set[str]] = {}
    for i in found:
        if not i.type_only:
            edges.setdefault(i.module, set()).add(i.target)
    assert not cycles(edges), f"import cycles: {cycles(edges)}"
    wrong: list[str] = []
    for i in found:
        for part, allowed in ALLOWED.items():
            inside = i.module == part or i.module.startswith(part + ".")
            if inside and not any(i.target == a or i.target.startswith(a + ".") for a in {part, *allowed}):
                wrong.append(f"{i.module}:{i.line} imports {i.target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_walk_sees_local_and_type_only_imports(tmp_path: Path) -> None:
    module = tmp_path / "typedstream" / "_probe.py"
    module.parent.mkdir()
    (module.parent / "_graph.py").write_text("", encoding="utf-8")
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from ._engine import Op\n"
        "if TYPE_CHECKING:\n    from ._faces import Source\n"
        "def f() -> None:\n    from . import _graph\n",
        encoding="utf-8",
    )
    found = {(i.target, i.local, i.type_only) for i in imports(module, root=tmp_path)}
    assert found == {
        ("typedstream._engine", False, False),
        ("typedstream._faces", False, True),
        ("typedstream._graph", True, False),
    }


# -- the public names ----------------------------------------------------------------------------------------


def init_imports() -> list[tuple[str, str, str]]:
    """(module, name, as-name) of every ``from .x import name as name`` in ``typedstream/__init__.py``."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    return [
        (node.module or "", alias.name, alias.asname or alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names
    ]


def test_each_public_name_is_exported_exactly_once() -> None:
    assert ts.__all__ == sorted(ts.__all__) and len(set(ts.__all__)) == len(ts.__all__)
    exported = [asname for _, _, asname in init_imports()]
    assert sorted(exported) == sorted(ts.__all__), "every name in __all__ is imported once, and only those"
    assert all(name == asname for _, name, asname in init_imports()), "re-exported as itself (`x as x`)"
    public = {n for n, v in vars(ts).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)}
    assert public == set(ts.__all__)


def test_every_public_class_and_function_shows_the_public_module() -> None:
    for name in ts.__all__:
        obj: object = getattr(ts, name)
        if isinstance(obj, (type, types.FunctionType)):
            assert obj.__module__ == "typedstream", name
            assert obj.__qualname__ == name
            assert getattr(importlib.import_module("typedstream"), name) is obj


def test_public_annotations_and_overloads_still_resolve() -> None:
    for name in ts.__all__:
        obj: object = getattr(ts, name)
        if isinstance(obj, type):
            typing.get_type_hints(obj)  # raises if an annotation names something the public module lacks
    assert len(typing.get_overloads(ts.map)) == 2
    assert len(typing.get_overloads(ts.try_map)) == 14  # sync and async: one class, 2 to 5 classes, a tuple, none
    assert typing.get_type_hints(ts.Retry)["attempts"] is int


def test_importing_the_package_imports_no_extra() -> None:
    code = "import sys, typedstream; print(sorted(m for m in ('rich', 'opentelemetry') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- facts instead of names ----------------------------------------------------------------------------------


def ok(x: object) -> Result[object, Exception]:
    return Success(x)


def some_stages() -> list[Op]:
    """One stage of every operator (and both forms of flat_map)."""
    results = ts.source([1]).try_map(str)
    pipelines: list[ts.Source[object]] = [
        ts.source([1]).map(str).filter(bool).tap(print).take_while(bool),
        ts.source([1]).flat_map(lambda x: [x]),
        ts.source([1]).flat_map(lambda x: [x], concurrency=2),
        results.map_ok(str).bind(ok).recover(ok),
        results.successes(),
        results.failures(),
        results.unwrap(),
        ts.source([1, None]).not_none(),
        ts.source([1]).take(1).skip(1).batch(1).flatten(),
        ts.source([1]).scan(0, max).stateful_map(0, lambda s, x: (s, x)).distinct(),
        ts.source([1]).batch_within(1, 1.0),
        ts.source([1]).buffer(1).timeout(1.0).throttle(1),
        ts.source([1]).merge(ts.source([2])).concat(ts.source([3])).zip(ts.source([4])),
    ]
    return [op for p in pipelines for op in description(p)[1]]


def test_the_report_s_reshaping_kinds_are_the_operators_reshaping_shapes() -> None:
    stages = some_stages()
    kinds = {op.kind for op in stages}
    assert len(kinds) == 27, sorted(kinds)  # every operator
    reshaping = {op.kind for op in stages if op.shape is Shape.RESHAPING} | {"source"}
    assert reshaping == ts.StageMetrics.RESHAPING


# -- the generated surface -----------------------------------------------------------------------------------


def test_the_generated_surface_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_surface.py"), "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_three_forms_of_an_operator_share_their_documentation() -> None:
    methods = [n for n, v in vars(ts.Stream).items() if not n.startswith("_") and callable(v)]
    assert len(methods) == 27
    for name in methods:
        docs = {inspect.getdoc(getattr(ts.Source, name)), inspect.getdoc(getattr(ts.Stream, name)), inspect.getdoc(getattr(ts, name))}
        assert len(docs) == 1 and None not in docs, name


def one_letter_apart(a: str, b: str) -> bool:
    """One letter added, removed or changed."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def test_no_two_modules_are_named_one_letter_apart() -> None:
    names = {p.stem.lstrip("_") for p in PACKAGE.rglob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name.lstrip("_") for p in PACKAGE.rglob("__init__.py")}
    assert len(names) > 30
    close = sorted((a, b) for a in names for b in names if a < b and one_letter_apart(a, b))
    assert not close, f"module names one letter apart: {close}"
    assert one_letter_apart("_op".lstrip("_"), "_ops".lstrip("_")) and not one_letter_apart("chain", "chunk")


def test_every_rule_has_tests_named_after_it() -> None:
    rules = [int(n) for n in re.findall(r"^(\d+)\. \*\*", (ROOT / "docs" / "rules.md").read_text(), re.M)]
    assert rules == list(range(1, 26))
    names = {
        node.name
        for path in (ROOT / "tests").rglob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    missing = [n for n in rules if not any(name.startswith(f"test_rule{n:02d}_") for name in names)]
    assert not missing, f"rules with no test named after them: {missing}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_tool_directives_for_linters_the_project_does_not_run(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "# noqa" not in text and "# fmt:" not in text


def test_the_built_wheel_holds_every_module_and_imports_on_its_own(tmp_path: Path) -> None:
    """An editable install sees the whole source tree; a wheel holds only the packages pyproject.toml finds. Built
    from a copy, so that no earlier build's leftovers in the tree can fill the gaps."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "typedstream", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(src)]
    subprocess.run(build, capture_output=True, text=True, timeout=300, check=True)
    [wheel] = tmp_path.glob("typedstream-*.whl")
    with zipfile.ZipFile(wheel) as z:
        packaged = {name for name in z.namelist() if name.startswith("typedstream/")}
        z.extractall(tmp_path / "site")
    sources = {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*") if p.suffix in (".py", ".typed")}
    assert sources <= packaged, f"left out of the wheel: {sorted(sources - packaged)}"
    # -S: no site hooks, so the editable install of the working tree cannot answer the import
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    code = "import sys; sys.path[:0] = sys.argv[1:]; import typedstream; print(typedstream.__file__)"
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path / "site"), *site_packages],
        capture_output=True, text=True, timeout=60, check=True, cwd=tmp_path,
    ).stdout
    assert out.strip() == str(tmp_path / "site" / "typedstream" / "__init__.py")
