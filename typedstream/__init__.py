"""typedstream: typed, async, pull-based streaming pipelines checked end to end by mypy and pyright."""

from ._ops import ElementOptions as ElementOptions
from ._ops import BatchStage as BatchStage
from ._ops import DistinctStage as DistinctStage
from ._ops import FlattenStage as FlattenStage
from ._ops import SameStage as SameStage
from ._ops import batch as batch
from ._ops import batch_within as batch_within
from ._ops import buffer as buffer
from ._ops import concat as concat
from ._ops import distinct as distinct
from ._ops import filter as filter
from ._ops import flat_map as flat_map
from ._ops import flatten as flatten
from ._ops import map as map
from ._ops import merge as merge
from ._ops import scan as scan
from ._ops import skip as skip
from ._ops import stateful_map as stateful_map
from ._ops import take as take
from ._ops import take_while as take_while
from ._ops import tap as tap
from ._ops import throttle as throttle
from ._ops import timeout as timeout
from ._ops import zip as zip
from ._ops import BindStage as BindStage
from ._ops import ErrorsStage as ErrorsStage
from ._ops import MapOkStage as MapOkStage
from ._ops import RecoverStage as RecoverStage
from ._ops import ValuesStage as ValuesStage
from ._ops import bind as bind
from ._ops import failures as failures
from ._ops import map_ok as map_ok
from ._ops import recover as recover
from ._ops import successes as successes
from ._ops import try_map as try_map
from ._ops import unwrap as unwrap
from ._errors import DeadLetter as DeadLetter
from ._graph import graph as graph
from ._pipeline import Pipeline as Pipeline
from ._pipeline import PipelineResult as PipelineResult
from ._pipeline import StepError as StepError
from ._pipeline import StepRecord as StepRecord
from ._pipeline import StepStatus as StepStatus
from ._report import Latency as Latency
from ._report import Outcome as Outcome
from ._report import RunOptions as RunOptions
from ._report import RunReport as RunReport
from ._report import RunReportDict as RunReportDict
from ._report import StageMetricsDict as StageMetricsDict
from ._report import LatencyDict as LatencyDict
from ._report import StageMetrics as StageMetrics
from ._retry import Backoff as Backoff
from ._retry import Retry as Retry
from ._sink import Sink as Sink
from ._sinks import EmptyStreamError as EmptyStreamError
from ._sinks import count as count
from ._sinks import first as first
from ._sinks import fold as fold
from ._sinks import for_each as for_each
from ._sinks import to_list as to_list
from ._source import Source as Source
from ._source import source as source
from ._stream import Stream as Stream

__all__ = [
    "BindStage",
    "ErrorsStage",
    "MapOkStage",
    "RecoverStage",
    "ValuesStage",
    "bind",
    "failures",
    "map_ok",
    "recover",
    "successes",
    "try_map",
    "unwrap",
    "DeadLetter",
    "Backoff",
    "BatchStage",
    "DistinctStage",
    "ElementOptions",
    "EmptyStreamError",
    "FlattenStage",
    "Retry",
    "Latency",
    "Outcome",
    "RunOptions",
    "RunReport",
    "RunReportDict",
    "StageMetricsDict",
    "LatencyDict",
    "StageMetrics",
    "SameStage",
    "Sink",
    "Source",
    "Stream",
    "batch",
    "batch_within",
    "buffer",
    "concat",
    "count",
    "distinct",
    "filter",
    "first",
    "flat_map",
    "flatten",
    "fold",
    "for_each",
    "map",
    "merge",
    "scan",
    "skip",
    "source",
    "stateful_map",
    "take",
    "take_while",
    "tap",
    "throttle",
    "timeout",
    "to_list",
    "graph",
    "Pipeline",
    "PipelineResult",
    "StepError",
    "StepRecord",
    "StepStatus",
    "zip",
]

# Public names show their public path in reprs and tracebacks.
for _name in ("Backoff", "Retry", "BindStage", "DeadLetter", "ErrorsStage", "MapOkStage", "RecoverStage", "ValuesStage", "BatchStage", "DistinctStage", "ElementOptions", "EmptyStreamError", "FlattenStage", "Latency", "Pipeline", "PipelineResult", "StepError", "StepRecord", "RunOptions", "RunReport", "StageMetrics", "SameStage", "Sink", "Source", "Stream"):
    globals()[_name].__module__ = __name__
del _name
