"""The table of what crosses between Node and Python (wire.json, read by Node as well), and the
check of a value against one of its shapes. The worker checks the arguments of every tool the
table lists before running it, so a caller's mistake is a clear BadArguments error naming the
field, not a KeyError deep inside DSPy."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("wire.json")

Shape = Any  # a type string ("str", "list[int]", "dict|null") or a dict of fields


class BadArguments(ValueError):
    """A tool's arguments do not have the shape wire.json gives them."""


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TABLE_PATH.read_text(encoding="utf-8"))
    return data


def _split_union(spec: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(spec):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(spec[start:i])
            start = i + 1
    parts.append(spec[start:])
    return [p.strip() for p in parts]


def _is(spec: str, value: Any, where: str) -> str | None:
    if spec == "any":
        return None
    if spec.startswith("list[") and spec.endswith("]"):
        if not isinstance(value, (list, tuple)):
            return f"{where} must be a list"
        for i, item in enumerate(value):
            problem = check(spec[5:-1], item, f"{where}[{i}]")
            if problem:
                return problem
        return None
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "null": value is None,
        "bytes": isinstance(value, (bytes, bytearray, memoryview)),
        "list": isinstance(value, (list, tuple)),
        "dict": isinstance(value, dict),
    }.get(spec)
    if ok is None:
        raise ValueError(f"wire.json: unknown type {spec!r}")
    return None if ok else f"{where} must be {spec}"


def check(shape: Shape, value: Any, where: str = "value") -> str | None:
    """What is wrong with `value` as `shape`, or None when nothing is."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where} must be a map"
        for key, field in shape.items():
            name = key[:-1] if key.endswith("?") else key
            if name not in value:
                if key.endswith("?"):
                    continue
                return f"{where}.{name} is missing"
            if key.endswith("?") and value[name] is None:
                continue  # an optional field sent as None (Node's undefined) is the same as absent
            problem = check(field, value[name], f"{where}.{name}")
            if problem:
                return problem
        return None
    alternatives = _split_union(str(shape))
    problems = [_is(spec, value, where) for spec in alternatives]
    if any(p is None for p in problems):
        return None
    if len(alternatives) == 1:
        return problems[0]
    return f"{where} must be {' or '.join(alternatives)}"


def tool_names() -> list[str]:
    return sorted(table()["tools"])


def callback_names() -> list[str]:
    return sorted(table()["callbacks"])


def check_tool_args(tool: str, args: Any) -> None:
    """Raises BadArguments when `tool` is in the table and `args` do not fit it."""
    entry = table()["tools"].get(tool)
    if entry is None:
        return
    problem = check(entry["args"], args, "args")
    if problem:
        raise BadArguments(f"tool {tool!r}: {problem} (see dspex_worker/wire.json)")
