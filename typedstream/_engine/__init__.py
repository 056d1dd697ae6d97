"""The engine: compiles a plain description of a pipeline (``Chain``) into chunk generators and runs it inside
one scope that closes everything it opened and reports once. It knows no operator by name: operators describe
themselves as ``Op`` values (a kernel or a puller, with typed facts such as their ``Shape``).

Layers, each importing only from those above it in this list: ``kernel``, ``metrics``, ``tasks``, ``chain``,
``timers``, ``guard``, ``stage``, ``scope``, ``relay``, ``origins``, ``fused``, ``calls``, ``remote``, ``compile``,
``drive``; ``executors`` (how to talk to an executor) sits with ``kernel`` at the top.
"""

from .chain import MAX_CHUNK as MAX_CHUNK
from .chain import Chain as Chain
from .chain import Chunks as Chunks
from .chain import Guard as Guard
from .chain import Limits as Limits
from .chain import Op as Op
from .chain import Origin as Origin
from .chain import Shape as Shape
from .chain import StageContext as StageContext
from .compile import Planned as Planned
from .compile import plan as plan
from .drive import NESTED as NESTED
from .drive import add_report_hook as add_report_hook
from .drive import drain as drain
from .drive import into as into
from .drive import iterate as iterate
from .drive import open_iteration as open_iteration
from .drive import remove_report_hook as remove_report_hook
from .drive import report_hooks as report_hooks
from .executors import DaskClient as DaskClient
from .executors import Remote as Remote
from .executors import check_sendable as check_sendable
from .executors import remote as remote
from .guard import annotate as annotate
from .kernel import SKIPPED as SKIPPED
from .kernel import Caught as Caught
from .kernel import Kernel as Kernel
from .metrics import now as now
from .origins import origin as origin
from .origins import prechunked as prechunked
from .relay import Relay as Relay
from .relay import relayed as relayed
from .scope import Run as Run
from .stage import Stage as Stage
from .tasks import aclose_iterator as aclose_iterator
from .tasks import cancel_and_wait as cancel_and_wait
from .tasks import close_iterator as close_iterator
from .timers import Expired as Expired
from .timers import before as before

__all__ = [
    "MAX_CHUNK",
    "NESTED",
    "SKIPPED",
    "Caught",
    "Chain",
    "Chunks",
    "DaskClient",
    "Expired",
    "Guard",
    "Limits",
    "Kernel",
    "Op",
    "Origin",
    "Planned",
    "Relay",
    "Remote",
    "Run",
    "Shape",
    "Stage",
    "StageContext",
    "aclose_iterator",
    "add_report_hook",
    "annotate",
    "before",
    "check_sendable",
    "cancel_and_wait",
    "close_iterator",
    "drain",
    "into",
    "iterate",
    "now",
    "open_iteration",
    "origin",
    "plan",
    "prechunked",
    "relayed",
    "remote",
    "remove_report_hook",
    "report_hooks",
]
