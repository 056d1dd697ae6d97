"""typedstream: typed, async, pull-based streaming pipelines checked end to end by mypy and pyright.

Every public name is imported here once, from the private module that defines it, and shows ``typedstream`` as
its module in reprs, tracebacks and docs. The inside can be reorganised without breaking anyone.
"""

import types as _types
import typing as _typing

from ._errors import DeadLetter as DeadLetter
from ._faces import KeepStage as KeepStage
from ._faces import Source as Source
from ._faces import source as source
from ._faces import Stream as Stream
from ._functions import batch as batch
from ._functions import batch_within as batch_within
from ._functions import bind as bind
from ._functions import buffer as buffer
from ._functions import concat as concat
from ._functions import distinct as distinct
from ._functions import failures as failures
from ._functions import filter as filter
from ._functions import flat_map as flat_map
from ._functions import flatten as flatten
from ._functions import map as map
from ._functions import map_ok as map_ok
from ._functions import merge as merge
from ._functions import not_none as not_none
from ._functions import recover as recover
from ._functions import scan as scan
from ._functions import skip as skip
from ._functions import stateful_map as stateful_map
from ._functions import successes as successes
from ._functions import take as take
from ._functions import take_while as take_while
from ._functions import tap as tap
from ._functions import throttle as throttle
from ._functions import timeout as timeout
from ._functions import try_map as try_map
from ._functions import unwrap as unwrap
from ._functions import zip as zip
from ._engine import DaskClient as DaskClient
from ._graph import graph as graph
from ._ops.element import ElementOptions as ElementOptions
from ._ops.element import awaiting as awaiting
from ._pipeline import Pipeline as Pipeline
from ._pipeline import PipelineResult as PipelineResult
from ._pipeline import StepError as StepError
from ._pipeline import StepRecord as StepRecord
from ._pipeline import StepStatus as StepStatus
from ._pools import ProcessPool as ProcessPool
from ._report import Latency as Latency
from ._report import LatencyDict as LatencyDict
from ._report import Outcome as Outcome
from ._report import RunOptions as RunOptions
from ._report import RunReport as RunReport
from ._report import RunReportDict as RunReportDict
from ._report import StageMetrics as StageMetrics
from ._report import StageMetricsDict as StageMetricsDict
from ._retry import Backoff as Backoff
from ._ratelimit import Clock as Clock
from ._ratelimit import RateLimit as RateLimit
from ._retry import Retry as Retry
from ._retry import RetryEvent as RetryEvent
from ._sinks import count as count
from ._sinks import EmptyStreamError as EmptyStreamError
from ._sinks import first as first
from ._sinks import fold as fold
from ._sinks import for_each as for_each
from ._sinks import Sink as Sink
from ._sinks import to_list as to_list
from ._stage_objects import BatchStage as BatchStage
from ._stage_objects import BindStage as BindStage
from ._stage_objects import DistinctStage as DistinctStage
from ._stage_objects import ErrorsStage as ErrorsStage
from ._stage_objects import FlattenStage as FlattenStage
from ._stage_objects import MapOkStage as MapOkStage
from ._stage_objects import NotNoneStage as NotNoneStage
from ._stage_objects import RecoverStage as RecoverStage
from ._stage_objects import SameStage as SameStage
from ._stage_objects import ValuesStage as ValuesStage

__all__ = [
    "Backoff",
    "BatchStage",
    "BindStage",
    "Clock",
    "DaskClient",
    "DeadLetter",
    "DistinctStage",
    "ElementOptions",
    "EmptyStreamError",
    "ErrorsStage",
    "FlattenStage",
    "KeepStage",
    "Latency",
    "LatencyDict",
    "MapOkStage",
    "NotNoneStage",
    "Outcome",
    "Pipeline",
    "PipelineResult",
    "ProcessPool",
    "RateLimit",
    "RecoverStage",
    "Retry",
    "RetryEvent",
    "RunOptions",
    "RunReport",
    "RunReportDict",
    "SameStage",
    "Sink",
    "Source",
    "StageMetrics",
    "StageMetricsDict",
    "StepError",
    "StepRecord",
    "StepStatus",
    "Stream",
    "ValuesStage",
    "awaiting",
    "batch",
    "batch_within",
    "bind",
    "buffer",
    "concat",
    "count",
    "distinct",
    "failures",
    "filter",
    "first",
    "flat_map",
    "flatten",
    "fold",
    "for_each",
    "graph",
    "map",
    "map_ok",
    "merge",
    "not_none",
    "recover",
    "scan",
    "skip",
    "source",
    "stateful_map",
    "successes",
    "take",
    "take_while",
    "tap",
    "throttle",
    "timeout",
    "to_list",
    "try_map",
    "unwrap",
    "zip",
]



def _publish(obj: object) -> None:
    """Show a class or function as ``typedstream.<name>`` (a type alias such as ``Outcome`` has no module of its
    own). What depended on the defining module keeps working: a class's annotations are resolved there first
    (``typing.get_type_hints`` resolves strings in ``__module__``), and an overloaded function's overloads are
    registered again under the new module, where ``typing.get_overloads`` looks for them."""
    if isinstance(obj, type):
        own: dict[str, object] = obj.__dict__.get("__annotations__", {})
        if own:
            hints = _typing.get_type_hints(obj, include_extras=True)
            obj.__annotations__ = {name: hints[name] for name in own}
        obj.__module__ = __name__
    elif isinstance(obj, _types.FunctionType):
        overloads = _typing.get_overloads(obj)
        obj.__module__ = __name__
        for overload in overloads:
            if isinstance(overload, _types.FunctionType):
                overload.__module__ = __name__
                _typing.overload(overload)


def _publish_all() -> None:
    for name in __all__:
        _publish(globals()[name])


_publish_all()
