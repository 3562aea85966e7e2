"""Tools callable from Node by name. Later work registers optimizers and modules the same way:

    @tool("echo")
    def echo(args, ctx):
        return args
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import CallContext

ToolFn = Callable[[Any, "CallContext"], Any]


@dataclass(frozen=True)
class Tool:
    name: str
    fn: ToolFn
    streaming: bool
    # Inline tools run on the reader thread: only for work that never blocks (echo).
    inline: bool


class UnknownTool(LookupError):
    pass


class Registry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, name: str, fn: ToolFn, *, inline: bool = False) -> Tool:
        if name in self._tools:
            raise ValueError(f"tool {name!r} is already registered")
        streaming = inspect.isgeneratorfunction(fn)
        if inline and streaming:
            raise ValueError(f"tool {name!r}: streaming tools cannot run inline")
        entry = Tool(name, fn, streaming, inline)
        self._tools[name] = entry
        return entry

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            known = ", ".join(sorted(self._tools)) or "none"
            raise UnknownTool(f"no tool named {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._tools)


# The worker's registry. Modules that define tools import this and decorate.
REGISTRY = Registry()


def tool(name: str, *, inline: bool = False, registry: Registry = REGISTRY) -> Callable[[ToolFn], ToolFn]:
    def decorate(fn: ToolFn) -> ToolFn:
        registry.register(name, fn, inline=inline)
        return fn

    return decorate
