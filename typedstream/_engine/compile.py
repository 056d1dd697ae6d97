"""Compile a chain into the chunk generators of one run, in two steps that run no user code.

``plan`` creates the run's stages, in the order reports and graphs show them (a combining stage's sources follow
it). ``build`` turns the plan into generators: adjacent fusable stages become one ``fused`` loop, every other
stage an async boundary, each boundary an ``Inlet`` that times and counts what crosses it. After every
``RELAY_EVERY`` async boundaries a relay task restarts the await chain, so 10,000 stages never recurse deeply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .calls import Pool, sequential
from .chain import ORIGIN, Chain, Chunks, Op, Origin, Shape
from .fused import fused
from .metrics import Inlet, Waits
from .relay import relayed
from .remote import RemotePool, same_executor
from .scope import Run
from .stage import Stage

__all__ = ["Planned", "compile_chain", "plan"]

RELAY_EVERY = 64  # async boundaries per task before a relay restarts the await chain


@dataclass(slots=True)
class Planned:
    """A chain's stages in one run: the origin's, then each op's with the plans of the chains it also reads."""

    origin: Origin | None  # None: a Stream's input, which only a graph plans
    head: Stage
    steps: list[tuple[Stage, list[Planned]]]


def plan(origin: Origin | None, ops: tuple[Op, ...], run: Run) -> Planned:
    head = run.stage(ORIGIN)
    steps: list[tuple[Stage, list[Planned]]] = []
    for op in ops:
        st = run.stage(op)
        steps.append((st, [plan(s.origin, s.ops, run) for s in op.sources]))
    return Planned(origin, head, steps)


def compile_chain(chain: Chain, run: Run, consumer: Waits) -> Chunks:
    """Build (without starting) the chunk generators of ``chain``, pulled by ``consumer``."""
    return _build(plan(chain.origin, chain.ops, run), run, consumer)


def element_stage(upstream: Chunks, st: Stage) -> Chunks:
    """An element stage that is an async boundary: by a pool of workers, or one call at a time."""
    if st.op.concurrency == 1:
        return sequential(upstream, st)
    return Pool(upstream, st).chunks()


def _build(planned: Planned, run: Run, consumer: Waits) -> Chunks:
    assert planned.origin is not None
    chunks = run.own(planned.origin.read(planned.head.name))
    producer: Waits = planned.head.waits
    counts: Stage | None = planned.head  # the stage whose output the next boundary counts
    segment: list[Stage] = []
    remote: list[Stage] = []  # consecutive one-to-one stages on one executor, run in the same remote tasks
    boundaries = 0

    def fuse() -> None:
        nonlocal chunks, producer, counts, segment
        waits = Waits()
        for st in segment:
            st.waits = waits
        chunks = run.own(fused(Inlet(chunks, producer, waits, counts, run.checks), segment))
        producer, counts = waits, None  # the fused loop counts its own stages
        segment = []

    def boundary(chunks_of: Callable[[Inlet], Chunks], st: Stage, last: Stage) -> None:
        """An async stage (or ``st`` to ``last`` on one executor) after what was built so far."""
        nonlocal chunks, producer, counts, boundaries
        if segment:
            fuse()
        chunks = run.own(chunks_of(Inlet(chunks, producer, st.waits, counts, run.checks)))
        producer, counts = last.waits, last
        boundaries += 1
        if boundaries % RELAY_EVERY == 0:  # not a stage: waits on its far side are not counted
            relay_waits = Waits()
            chunks = run.own(relayed(Inlet(chunks, producer, relay_waits, counts, run.checks), limit=None))
            producer, counts = relay_waits, None

    def on_executor() -> None:
        nonlocal remote
        group = remote
        remote = []
        for st in group[1:]:
            st.waits = group[0].waits  # one boundary: its stages share its waits
        boundary(lambda upstream: RemotePool(upstream, group).chunks(), group[0], group[-1])

    for st, inputs in planned.steps:
        if remote and not (st.op.shape is Shape.ONE_TO_ONE and same_executor(remote[-1], st)):
            on_executor()
        if st.op.remote is not None:
            if segment:
                fuse()
            if st.op.shape is Shape.ONE_TO_ONE:
                remote.append(st)
                continue
            group = [st]
            boundary(lambda upstream: RemotePool(upstream, group).chunks(), st, st)
            continue
        if st.op.fusable:
            segment.append(st)
            continue
        if st.op.pull is not None:
            if segment:
                fuse()
            # The other inputs are owned before the stage, so it is closed first and stops its own tasks.
            others = [_build(p, run, st.waits) for p in inputs]
            pull = st.op.pull
            boundary(lambda upstream: pull([upstream, *others], st), st, st)
        else:
            boundary(lambda upstream: element_stage(upstream, st), st, st)
    if remote:
        on_executor()
    if segment:
        fuse()
    return Inlet(chunks, producer, consumer, counts, run.checks)
