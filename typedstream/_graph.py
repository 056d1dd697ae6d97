"""``graph(pipeline)``: a pipeline's stages as a Mermaid or Graphviz diagram, without running anything."""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass, field
from typing import Literal

from typing_extensions import Never

from ._engine import Op, Planned, Run, Shape, Stage, plan
from ._faces import Source, Stream, description

__all__ = ["graph"]


@dataclass(slots=True)
class Node:
    stage: Stage
    inputs: list[Node] = field(default_factory=list["Node"])
    shown_as: str | None = None  # a Stream's origin is its input, though a run names it "source"

    @property
    def id(self) -> str:
        return f"s{self.stage.index}"

    @property
    def is_origin(self) -> bool:
        return self.stage.op.shape is Shape.ORIGIN

    def label(self) -> list[str]:
        op = self.stage.op
        lines = [self.shown_as or self.stage.name]
        detail = [op.kind] if op.kind != self.stage.name and not self.is_origin else []
        if op.concurrency > 1:
            detail.append(f"x{op.concurrency}" + ("" if op.ordered else " unordered"))
        if op.remote is not None:
            detail.append(f"@{op.remote.label}")
        guard = op.guard
        if guard is not None:
            if guard.retry is not None:
                detail.append(f"retry {guard.retry.attempts}")
            if guard.catch and guard.catch_shown:
                detail.append("catch " + " | ".join(c.__name__ for c in guard.catch))
            if guard.skip:
                detail.append("skip" + (" → dead letters" if guard.dead_letter is not None else ""))
        if detail:
            lines.append(", ".join(detail))
        if (sig := signature(op)) is not None:
            lines.append(sig)
        return lines


def nodes_of(pipeline: Source[object] | Stream[Never, object]) -> list[Node]:
    """The stages a run of ``pipeline`` would have, planned as a run plans them: same names, same order."""
    origin, ops = description(pipeline)
    nodes: list[Node] = []
    _add(plan(origin, ops, Run()), nodes)
    if origin is None:
        nodes[0].shown_as = "input"  # a Stream is fed from outside
    return nodes


def _add(planned: Planned, nodes: list[Node]) -> Node:
    """Append the nodes of one planned chain, in the run's order; return its last."""
    prev = Node(planned.head)
    nodes.append(prev)
    for st, inputs in planned.steps:
        node = Node(st, [prev])
        nodes.append(node)
        node.inputs.extend(_add(p, nodes) for p in inputs)  # a combining stage's sources follow it
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
    nodes = nodes_of(pipeline)
    edges = [(src.id, node.id) for node in nodes for src in node.inputs]
    if format == "mermaid":
        out = ["flowchart LR"]
        for node in nodes:
            text = "<br/>".join(_escape_mermaid(line) for line in node.label())
            shape = ('(["', '"])') if node.is_origin else ('["', '"]')
            out.append(f"    {node.id}{shape[0]}{text}{shape[1]}")
        out.extend(f"    {a} --> {b}" for a, b in edges)
        return "\n".join(out)
    out = ["digraph pipeline {", "    rankdir=LR;", "    node [shape=box, fontname=Helvetica];"]
    for node in nodes:
        text = "\\n".join(_escape_dot(line) for line in node.label())
        extra = ", shape=oval" if node.is_origin else ""
        out.append(f'    {node.id} [label="{text}"{extra}];')
    out.extend(f"    {a} -> {b};" for a, b in edges)
    out.append("}")
    return "\n".join(out)


def _escape_mermaid(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
