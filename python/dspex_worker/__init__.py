"""dspex_worker: the Python side of DSPex's worker pools (run as `python -m dspex_worker`)."""

from .channel import NodeCallbackError, call_node
from .context import CallContext, Cancelled, current_call
from .registry import REGISTRY, tool

__all__ = ["REGISTRY", "CallContext", "Cancelled", "NodeCallbackError", "call_node", "current_call", "tool"]
__version__ = "0.1.0"
