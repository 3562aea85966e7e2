"""Conversions between DSPex's wire shapes and DSPy objects, shared by modules and retrievers."""

from __future__ import annotations

import re
from typing import Any

import dspy


def jsonable(value: Any) -> Any:
    """DSPy values (predictions, pydantic models, numpy scalars, dotdicts) as plain data for the channel."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    if isinstance(value, (dspy.Image, dspy.Audio, dspy.File)):
        return value  # crosses as itself (protocol.py packs it as an extension type)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump(mode="json"))
    if hasattr(value, "items") and callable(value.items):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def build_signature(spec: dict[str, Any]) -> type[dspy.Signature]:
    """A DSPy signature from DSPex's description: fields with Python type names, descriptions and prefixes.

    Types travel as the Python spellings DSPy prints ("list[str]", "Literal['a', 'b']"), so DSPy's own
    string parser turns them back into annotations; descriptions and prefixes are then set field by field.
    """
    inputs = spec.get("inputs") or []
    outputs = spec.get("outputs") or []

    def part(fields: list[dict[str, Any]]) -> str:
        return ", ".join(f"{f['name']}: {f.get('type') or 'str'}" for f in fields)

    # DSPy's parser resolves bare names of its own types ("Image", "Code", ...) only when told about them.
    custom = {
        "Image": dspy.Image,
        "Audio": dspy.Audio,
        "File": dspy.File,
        "History": dspy.History,
        "Code": dspy.Code,
        "Reasoning": dspy.Reasoning,
    }
    # DSPex names `dspy.Code["java"]` by the class DSPy makes for it, `Code_java` (DSPy's own string
    # parser would hand Code a tuple for `Code["java"]`): make that class under that name.
    for f in [*inputs, *outputs]:
        for language in re.findall(r"\bCode_(\w+)", f.get("type") or ""):
            custom[f"Code_{language}"] = dspy.Code[language]
    signature = dspy.Signature(
        f"{part(inputs)} -> {part(outputs)}", spec.get("instructions") or None, custom_types=custom
    )
    for field in [*inputs, *outputs]:
        updates = {key: field[key] for key in ("desc", "prefix") if field.get(key) is not None}
        if updates:
            signature = signature.with_updated_fields(field["name"], **updates)
    return signature


def describe_signature(signature: type[dspy.Signature]) -> dict[str, Any]:
    """The inverse of build_signature, for predictors DSPy creates itself (ReAct's `react`, `extract`)."""
    from dspy.adapters.utils import get_annotation_name

    def fields(items: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for name, info in items.items():
            extra = info.json_schema_extra or {}
            out.append(
                {
                    "name": name,
                    "type": get_annotation_name(info.annotation),
                    "desc": extra.get("desc"),
                    "prefix": extra.get("prefix"),
                }
            )
        return out

    return {
        "instructions": signature.instructions,
        "inputs": fields(signature.input_fields),
        "outputs": fields(signature.output_fields),
    }
