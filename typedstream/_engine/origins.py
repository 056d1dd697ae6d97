"""Origins: how a chain reads its input into chunks. Reading starts at a run's first pull, never before."""

from __future__ import annotations

import functools
import itertools
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from typing import Any, cast

from .._validate import check_count, fail
from .chain import MAX_CHUNK, Chunks, Origin
from .guard import annotate
from .metrics import now
from .tasks import aclose_iterator, close_iterator

__all__ = ["origin", "prechunked"]

CHUNK_TIME = 0.001
"""Seconds a chunk from a sync iterable should take: filling it and taking it through the stages until the next
pull. Faster chunks double (up to ``MAX_CHUNK``), slower ones halve: a fast source reaches full chunks in ten
pulls, a slow one (or slow synchronous stages) is passed on in small chunks, so its elements are not held back
and the loop gets its turns."""


def _next_size(size: int, took: float) -> int:
    if took < CHUNK_TIME / 2:
        return min(size * 2, MAX_CHUNK)
    if took > CHUNK_TIME * 2:
        return max(size // 2, 1)
    return size


def origin(items: Iterable[Any] | AsyncIterable[Any], chunk_size: int | None) -> Origin:
    """The origin of ``source(items, chunk_size=...)``: a sync iterable is read in chunks growing from 1 to
    ``MAX_CHUNK`` (or of ``chunk_size``); an async one element by element (or in groups of ``chunk_size``)."""
    if chunk_size is not None:
        check_count("stage 'source'", "chunk_size", chunk_size, minimum=1)
    if isinstance(items, AsyncIterable):
        once = OneShot() if isinstance(items, AsyncIterator) else None
        return Origin(functools.partial(_read_async, items, chunk_size, once), "aiterable")
    if isinstance(items, Iterable):  # pyright: ignore[reportUnnecessaryIsInstance]
        once = OneShot() if isinstance(items, Iterator) else None
        return Origin(functools.partial(_read_sync, items, chunk_size, once), "iterable")
    fail(TypeError, "stage 'source'", "the input", "an Iterable or AsyncIterable", items)


def prechunked(chunks: Iterable[Sequence[Any]]) -> Origin:
    """An origin that yields exactly these chunks (empty ones dropped): to show that chunking changes nothing."""
    return Origin(functools.partial(_read_chunks, chunks), "chunks")


class OneShot:
    """A source over an iterator (a generator, a file, ``iter(xs)``): only its first run can read it. A second
    run would find it exhausted and silently give nothing, so it fails instead, saying why."""

    __slots__ = ("read",)

    def __init__(self) -> None:
        self.read = False

    def take(self, stage: str) -> None:
        if self.read:
            raise annotate(
                RuntimeError(
                    f"stage {stage!r}: the input is an iterator (a generator, a file...), which an earlier run of "
                    "this Source consumed; build the Source anew for each run (a function returning "
                    "source(make_items())), or pass a re-iterable (a list, or an object whose __iter__ starts over)"
                ),
                stage,
                has_element=False,
            )
        self.read = True


async def _read_chunks(chunks: Iterable[Sequence[Any]], stage: str) -> Chunks:
    for chunk in chunks:
        if chunk:
            yield list(chunk)


async def _read_async(items: AsyncIterable[Any], chunk_size: int | None, once: OneShot | None, stage: str) -> Chunks:
    if once is not None:
        once.take(stage)
    ait = aiter(items)
    group: list[Any] = []
    try:
        if chunk_size is None:
            # Never wait to fill a chunk from an async source: one element is one chunk.
            async for x in ait:
                yield [x]
            return
        async for x in ait:
            group.append(x)
            if len(group) >= chunk_size:
                yield group
                group = []
        if group:
            yield group
    except Exception as e:
        annotate(e, stage, has_element=False)
        if group:  # what the source gave before it failed is delivered first, as without chunks
            yield group
        raise
    finally:
        await aclose_iterator(ait)


async def _read_sync(items: Iterable[Any], chunk_size: int | None, once: OneShot | None, stage: str) -> Chunks:
    if once is not None:
        once.take(stage)
    try:
        it: Iterator[Any] = iter(items)
    except Exception as e:
        raise annotate(e, stage, has_element=False)
    try:
        seq = _sliceable(items)
        if seq is not None and chunk_size is None:
            # Cheap to slice (and slicing runs no user code): first chunks small (latency, little prefetch), then
            # as large as CHUNK_TIME allows.
            size, i, n = 1, 0, len(seq)
            while i < n:
                started = now()
                yield list(seq[i : i + size])
                i += size
                size = _next_size(size, now() - started)
            return
        size = chunk_size or 1
        islice = itertools.islice
        while True:
            started = now()
            chunk: list[Any] = []
            try:
                chunk.extend(islice(it, size))  # keeps what the source gave before it failed
            except Exception as e:
                annotate(e, stage, has_element=False)
                if chunk:  # delivered first, as without chunks (rule 20)
                    yield chunk
                raise
            if not chunk:
                return
            yield chunk
            if chunk_size is None:
                size = _next_size(size, now() - started)
    finally:
        close_iterator(it)


def _sliceable(items: object) -> Sequence[Any] | None:
    if isinstance(items, (list, tuple, range)):
        return cast("Sequence[Any]", items)
    return None
