from typing import Any

import pytest

from dspex_worker.registry import REGISTRY, Registry, UnknownTool, tool


def test_decorator_registers_by_name_and_detects_generators() -> None:
    registry = Registry()

    @tool("plain", registry=registry)
    def plain(args: Any, ctx: Any) -> Any:
        return args

    @tool("gen", registry=registry)
    def gen(args: Any, ctx: Any) -> Any:
        yield 1

    assert registry.names() == ["gen", "plain"]
    assert registry.get("plain").fn is plain
    assert not registry.get("plain").streaming
    assert registry.get("gen").streaming


def test_duplicate_and_unknown_names_are_errors() -> None:
    registry = Registry()
    registry.register("a", lambda args, ctx: None)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("a", lambda args, ctx: None)
    with pytest.raises(UnknownTool, match="no tool named 'b' \\(known: a\\)"):
        registry.get("b")


def test_streaming_tools_cannot_be_inline() -> None:
    def gen(args: Any, ctx: Any) -> Any:
        yield 1

    with pytest.raises(ValueError, match="inline"):
        Registry().register("g", gen, inline=True)


def test_builtin_tools_are_registered() -> None:
    import dspex_worker.tools_builtin  # noqa: F401

    assert {"echo", "sleep"} <= set(REGISTRY.names())
