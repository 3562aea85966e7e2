"""Tools every worker has: used by health checks, tests and benches."""

from __future__ import annotations

from typing import Any

from .context import CallContext
from .registry import tool


@tool("echo", inline=True)
def echo(args: Any, ctx: CallContext) -> Any:
    return args


@tool("sleep")
def sleep(args: Any, ctx: CallContext) -> Any:
    """Wait `seconds` (cancellable), then return `value`."""
    params = args if isinstance(args, dict) else {}
    ctx.wait(float(params.get("seconds", 0)))
    return params.get("value")


@tool("tools", inline=True)
def list_tools(args: Any, ctx: CallContext) -> list[str]:
    from .registry import REGISTRY

    return REGISTRY.names()
