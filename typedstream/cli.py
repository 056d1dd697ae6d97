"""The ``typedstream`` command: ``run`` a pipeline over lines or JSON objects, or print its ``graph``.

    typedstream run MODULE:ATTR [--input FILE|-] [--output FILE|-] [--format jsonl|lines] [--progress]
                                [--report table|json|none]
    typedstream graph MODULE:ATTR [--format mermaid|dot]

MODULE is a dotted module name or a path to a ``.py`` file; ATTR names a ``Stream`` or a batch ``Pipeline`` (fed
the input), a ``Source`` or a function of no arguments returning a ``Source``. Outputs go to ``--output`` one per line, the
report to stderr. Any error gives one line on stderr and exit status 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import dataclasses
import importlib
import importlib.util
import inspect
import json
import os
import stat
import sys
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, cast

from typing_extensions import TypeIs

from returns.result import Failure, Success

from ._faces import Source, Stream, source
from ._graph import graph
from ._pipeline import Pipeline
from ._report import RunReport
from ._sinks import Sink

__all__ = ["CommandError", "main"]

Format = Literal["jsonl", "lines"]


class CommandError(Exception):
    """A problem with the command's input: reported as one line, exit status 1."""


def load(target: str) -> Source[Any] | Stream[Any, Any]:
    """Resolve ``MODULE:ATTR`` to a Stream or a Source (calling a zero-argument factory)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise CommandError(f"expected MODULE:ATTR (e.g. examples/demo.py:pipeline), got {target!r}")
    module = _import(module_name)
    obj: object = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CommandError(f"{module_name} has no attribute {attr!r}") from None
    if _is_pipeline(obj):
        return obj
    if _is_batch(obj):  # a batch Pipeline runs as its stream: one Result per input
        return obj.as_stream()
    if callable(obj):
        try:
            inspect.signature(obj).bind()
        except TypeError:
            raise CommandError(f"{target} is a function that needs arguments; expected one of none") from None
        except ValueError:  # no signature (a builtin): let the call decide
            pass
        made = obj()
        if _is_source(made):
            return made
        raise CommandError(f"{target}() returned {type(made).__name__}, not a Source")
    raise CommandError(
        f"{target} is of type {type(obj).__name__}, not a Stream, a Pipeline, a Source or a function returning a Source"
    )


def _is_pipeline(x: object) -> TypeIs[Source[Any] | Stream[Any, Any]]:
    return isinstance(x, (Source, Stream))


def _is_batch(x: object) -> TypeIs[Pipeline[Any, Any]]:
    return isinstance(x, Pipeline)


def _is_source(x: object) -> TypeIs[Source[Any]]:
    return isinstance(x, Source)


def _import(name: str) -> object:
    if name.endswith(".py") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"no such file: {name}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules.setdefault(path.stem, module)
        sys.path.insert(0, str(path.resolve().parent))  # its own imports resolve next to it
        spec.loader.exec_module(module)
        return module
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, "")  # as ``python -m`` does: modules of the current directory
    try:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin is not None and spec.origin.endswith(".py"):
            sys.path.insert(0, str(Path(spec.origin).parent))  # its own imports resolve next to it, as for a path
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and name.startswith(e.name):
            raise CommandError(f"no module named {name!r}") from None
        raise


_BLANK: Any = object()  # a blank JSON line: no element


def _element(raw: bytes, name: str, number: int, fmt: Format) -> object:
    """One input line as an element: the text for ``lines``, the parsed object for ``jsonl`` (``_BLANK`` for a
    blank line). A line ends at ``\n`` only (a stray ``\r`` stays in it; a final ``\r\n`` goes); a BOM on the
    first line is dropped. Bytes that are not UTF-8, or malformed JSON, stop the run naming the file and line."""
    if number == 1 and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise CommandError(f"{name}:{number}: not UTF-8 (byte {e.start + 1} of the line: {e.reason})") from None
    if fmt == "lines":
        return text
    if not text.strip():
        return _BLANK  # a blank line holds no record
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CommandError(f"{name}:{number}: malformed JSON ({e.msg}, column {e.colno})") from None


def read(lines: Iterable[bytes], name: str, fmt: Format) -> Iterator[object]:
    """The elements of a file's lines, read lazily (in chunks: a file never keeps the loop waiting long)."""
    for number, raw in enumerate(lines, 1):
        if (x := _element(raw, name, number, fmt)) is not _BLANK:
            yield x


async def read_live(stream: BinaryIO, name: str, fmt: Format) -> AsyncIterator[object]:
    """The elements of a pipe's or a terminal's lines as they arrive, one by one. A thread reads whatever is
    available, so the event loop never waits on the input (Ctrl-C works while it is idle)."""
    loop = asyncio.get_running_loop()
    blocks: asyncio.Queue[list[bytes] | OSError | None] = asyncio.Queue()
    room = threading.Semaphore(4)  # blocks read ahead: the thread waits for the run to take them
    fd = stream.fileno()

    def hand_over(item: list[bytes] | OSError | None) -> None:
        room.acquire()
        loop.call_soon_threadsafe(blocks.put_nowait, item)  # raises RuntimeError once the loop is closed

    def pump() -> None:
        pending = b""
        try:
            while data := os.read(fd, 1 << 16):
                *lines, pending = (pending + data).split(b"\n")
                if lines:
                    hand_over([line + b"\n" for line in lines])
            if pending:  # a last line with no newline
                hand_over([pending])
            hand_over(None)
        except OSError as e:
            hand_over(e)
        except RuntimeError:
            pass  # the run ended and its loop with it: nobody reads any more

    threading.Thread(target=pump, name="typedstream:input", daemon=True).start()
    number = 0
    while (lines := await blocks.get()) is not None:
        room.release()
        if isinstance(lines, OSError):
            raise CommandError(f"cannot read {name}: {lines.strerror}")
        for raw in lines:
            number += 1
            if (x := _element(raw, name, number, fmt)) is not _BLANK:
                yield x


def _jsonable(x: object) -> object:
    if isinstance(x, Success):
        return {"ok": cast("Success[object]", x).unwrap()}
    if isinstance(x, Failure):
        error = cast("Failure[object]", x).failure()
        return {"error": f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else error}
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.asdict(x)
    if isinstance(x, (set, frozenset, tuple)):
        return list(cast("set[object]", x))
    raise TypeError(f"{type(x).__name__} is not JSON serializable")


def writer(out: IO[str], fmt: Format) -> Sink[object, int]:
    """Writes each element on its own line (JSON or ``str``); returns how many it wrote."""

    async def consume(chunks: Any) -> int:
        written = 0
        async for chunk in chunks:
            lines: list[str] = []
            for x in chunk:
                if fmt == "lines":
                    lines.append(f"{x}\n")
                    continue
                try:
                    lines.append(json.dumps(x, default=_jsonable) + "\n")
                except (TypeError, ValueError) as e:
                    raise CommandError(f"output element {written + len(lines) + 1}: {e}") from None
            out.write("".join(lines))
            written += len(lines)
        out.flush()
        return written

    return Sink(consume, name="output")


def one_line(error: BaseException) -> str:
    """An error as one line: its message and where it happened (the engine's notes)."""
    where = [n.removeprefix("typedstream: ") for n in getattr(error, "__notes__", []) if n.startswith("typedstream:")]
    text = str(error) if isinstance(error, CommandError) else f"{type(error).__name__}: {error}"
    return text + (f" ({'; '.join(where)})" if where else "")


async def _run(args: argparse.Namespace) -> int:
    pipeline = load(args.target)
    fmt: Format = args.format
    in_file: BinaryIO | None = None
    try:
        if isinstance(pipeline, Stream):
            in_name: str = args.input
            lines: BinaryIO = sys.stdin.buffer
            if in_name == "-":
                in_name = "<stdin>"
            else:
                try:
                    in_file = lines = open(in_name, "rb")
                except OSError as e:
                    raise CommandError(f"cannot read --input {in_name}: {e.strerror}") from None
            if stat.S_ISREG(os.fstat(lines.fileno()).st_mode):
                src: Source[Any] = source(read(lines, in_name, fmt)) | pipeline
            else:  # a pipe or a terminal: each line as it arrives
                src = source(read_live(lines, in_name, fmt)) | pipeline
        else:
            if args.input != "-":
                raise CommandError(f"{args.target} is a Source with its own input: --input does not apply")
            src = pipeline
        out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
        reports: list[RunReport] = []
        try:
            await src.into(writer(out, fmt), on_report=reports.append, progress=args.progress)
        finally:
            if out is not sys.stdout:
                out.close()
            if reports and args.report != "none":
                report = reports[0]
                text = json.dumps(report.to_dict(), indent=2) if args.report == "json" else report.table()
                print(text, file=sys.stderr)
        return 0
    finally:
        if in_file is not None:
            in_file.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="typedstream", description="Run typed streaming pipelines.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a pipeline, writing its outputs one per line")
    run.add_argument("target", metavar="MODULE:ATTR", help="a Stream, a Source or a function returning a Source")
    run.add_argument("--input", default="-", metavar="FILE", help="input for a Stream (default: stdin)")
    run.add_argument("--output", default="-", metavar="FILE", help="where outputs go (default: stdout)")
    run.add_argument("--format", choices=("jsonl", "lines"), default="jsonl", help="input and output lines")
    run.add_argument("--progress", action="store_true", help="show live progress on stderr (needs rich)")
    run.add_argument("--report", choices=("table", "json", "none"), default="table", help="report on stderr")
    show = commands.add_parser("graph", help="print the pipeline's stages as a diagram")
    show.add_argument("target", metavar="MODULE:ATTR")
    show.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "graph":
            print(graph(load(args.target), args.format))
            return 0
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        print("typedstream: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as other command-line tools do
        sys.stdout = open(os.devnull, "w")  # so the interpreter's final flush does not fail again
        return 141
    except Exception as e:
        print(f"typedstream: error: {one_line(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
