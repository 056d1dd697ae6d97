"""``graph(pipeline)``: a pipeline's stages as a Mermaid or Graphviz diagram, without running anything."""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass, field
from typing import Literal

from typing_extensions import Never

from ._op import Op
from ._runtime import Run, Stage
from ._source import Source
from ._stream import Stream

__all__ = ["graph"]


@dataclass(slots=True)
class Node:
    stage: Stage
    inputs: list[Node] = field(default_factory=list["Node"])
    shown_as: str | None = None  # a Stream's origin is its input, though a run names it "source"

    @property
    def id(self) -> str:
        return f"s{self.stage.index}"

    def label(self) -> list[str]:
        op = self.stage.op
        lines = [self.shown_as or self.stage.name]
        detail = [op.kind] if op.kind not in (self.stage.name, "source") else []
        if op.concurrency > 1:
            detail.append(f"x{op.concurrency}" + ("" if op.ordered else " unordered"))
        guard = op.guard
        if guard is not None:
            if guard.retry is not None:
                detail.append(f"retry {guard.retry.attempts}")
            if guard.catch and op.kind != "step":  # a Pipeline step catches everything into its StepError
                detail.append("catch " + " | ".join(c.__name__ for c in guard.catch))
            if guard.skip:
                detail.append("skip" + (" → dead letters" if guard.dead_letter is not None else ""))
        if detail:
            lines.append(", ".join(detail))
        if (sig := signature(op)) is not None:
            lines.append(sig)
        return lines


def plan(pipeline: Source[object] | Stream[Never, object]) -> list[Node]:
    """The stages a run of ``pipeline`` would have, named as the run names them, in the same order."""
    nodes: list[Node] = []
    _walk(Run(), pipeline._ops, nodes)  # pyright: ignore[reportPrivateUsage]
    if isinstance(pipeline, Stream):
        nodes[0].shown_as = "input"  # a Stream is fed from outside
    return nodes


def _walk(run: Run, ops: tuple[Op, ...], nodes: list[Node]) -> Node:
    """Append the nodes of one chain; return its last."""
    prev = Node(run.stage(Op(name="source", kind="source")))
    nodes.append(prev)
    for op in ops:
        node = Node(run.stage(op), [prev])
        nodes.append(node)
        for src in op.sources:  # merge/concat/zip: their sources are compiled after the stage, as in a run
            node.inputs.append(_walk(run, src._ops, nodes))
        prev = node
    return prev


def signature(op: Op) -> str | None:
    """``In → Out`` from the stage function's annotations, when it has them."""
    fn = op.fn
    if fn is None:
        return None
    try:
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError, NameError):
        return None
    if not params or params[0].name not in hints or "return" not in hints:
        return None
    return f"{_type_name(hints[params[0].name])} → {_type_name(hints['return'])}"


def _type_name(t: object) -> str:
    text = t.__name__ if isinstance(t, type) and not typing.get_args(t) else repr(t)
    return re.sub(r"\b(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*)", r"\1", text)  # typing.List -> List, a.b.C -> C


def graph(pipeline: Source[object] | Stream[Never, object], format: Literal["mermaid", "dot"] = "mermaid") -> str:
    """The stages of ``pipeline`` (names, kinds, concurrency, retry, error strategy, the function's types when
    annotated) as a Mermaid flowchart or a Graphviz digraph. Runs no user code."""
    if format not in ("mermaid", "dot"):
        raise ValueError(f"graph format must be 'mermaid' or 'dot', got {format!r}")
    nodes = plan(pipeline)
    edges = [(src.id, node.id) for node in nodes for src in node.inputs]
    if format == "mermaid":
        out = ["flowchart LR"]
        for node in nodes:
            text = "<br/>".join(_escape_mermaid(line) for line in node.label())
            shape = ('(["', '"])') if node.stage.op.kind == "source" else ('["', '"]')
            out.append(f"    {node.id}{shape[0]}{text}{shape[1]}")
        out.extend(f"    {a} --> {b}" for a, b in edges)
        return "\n".join(out)
    out = ["digraph pipeline {", "    rankdir=LR;", "    node [shape=box, fontname=Helvetica];"]
    for node in nodes:
        text = "\\n".join(_escape_dot(line) for line in node.label())
        extra = ", shape=oval" if node.stage.op.kind == "source" else ""
        out.append(f'    {node.id} [label="{text}"{extra}];')
    out.extend(f"    {a} -> {b};" for a, b in edges)
    out.append("}")
    return "\n".join(out)


def _escape_mermaid(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
