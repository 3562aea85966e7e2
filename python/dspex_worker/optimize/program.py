"""A dspy.Module standing in for a program written in TypeScript.

It holds one dspy.Predict per named TS predictor (same names, so dump_state keys match the
TS program's) for optimizers to read and mutate. Its forward sends the predictors' current
state to Node, which runs the real TS program with that state and returns the prediction
plus the trace of predictor calls; the trace is replayed into dspy.settings.trace against
these predictors, so bootstrapping sees every predictor call.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Literal, Optional, Union

import dspy

from . import runs
from .lms import describe

PROGRAM_CALLBACK = "optimize.program"

# DSPy 3.4 deprecates field prefixes but still saves and loads them, and TS programs have them:
# the proxy must carry them for dump_state to match the TS program's state.
warnings.filterwarnings("ignore", message="The 'prefix' argument in InputField", category=DeprecationWarning)
_SAFE_TYPE = re.compile(r"^[\w\[\]., '\"\-+]*$")


def _type_namespace() -> dict[str, Any]:
    return {
        "__builtins__": {},
        "str": str,
        "int": int,
        "float": float,
        "bool": bool,
        "bytes": bytes,
        "Any": Any,
        "NoneType": type(None),
        "None": None,
        "True": True,
        "False": False,
        "list": list,
        "List": list,
        "dict": dict,
        "Dict": dict,
        "tuple": tuple,
        "Tuple": tuple,
        "set": set,
        "Set": set,
        "Union": Union,
        "Optional": Optional,
        "Literal": Literal,
        "Ellipsis": ...,
        "History": dspy.History,
        "Image": dspy.Image,
        "Audio": dspy.Audio,
        "File": dspy.File,
    }


def python_type(name: str | None) -> Any:
    """The annotation DSPy would have for this TS field type ("list[str]", "Literal['a', 'b']"), else str.

    Structured (object) types come back as dict: the proxy never parses LM output, it only
    needs a signature whose field names, order, prefixes and descriptions match.
    """
    if not name or "__" in name or not _SAFE_TYPE.match(name):
        return str
    try:
        return eval(name, _type_namespace())  # noqa: S307 - names only, no builtins, checked above
    except Exception:
        return dict


def build_signature(spec: dict[str, Any]) -> type[dspy.Signature]:
    fields: dict[str, Any] = {}
    for f in spec["fields"]:
        make = dspy.InputField if f["kind"] == "input" else dspy.OutputField
        extra = {"prefix": f["prefix"], "desc": f["description"]}
        fields[f["name"]] = (python_type(f.get("type")), make(**extra))
    return dspy.make_signature(fields, spec["instructions"], spec.get("name") or "ProgramSignature")


def _record(value: Any) -> Any:
    if isinstance(value, dspy.Example):
        return {k: _record(v) for k, v in value.items()}
    if isinstance(value, dict):
        return {str(k): _record(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_record(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return str(value)


def fields_of(value: Any) -> dict[str, Any]:
    """A prediction or example as a plain record."""
    if isinstance(value, (dspy.Example, dict)):
        return _record(value)
    return {"value": _record(value)}


def predictor_state(predictor: dspy.Predict) -> dict[str, Any]:
    state = predictor.dump_state()
    state["lm"] = None  # LMs are chosen in Node by role, never by saved state
    return _record(state)


class ProgramProxy(dspy.Module):
    def __init__(self, run: str, index: int | str, structure: dict[str, Any]) -> None:
        super().__init__()
        self._run = run
        self._index = index
        self._order: list[str] = []
        self._predictors: dict[str, dspy.Predict] = {}
        for entry in structure["predictors"]:
            predictor = dspy.Predict(build_signature(entry["signature"]))
            predictor.demos = [dspy.Example(**d) for d in entry.get("demos") or []]
            predictor._dspex_name = entry["name"]
            self._order.append(entry["name"])
            self._predictors[entry["name"]] = predictor

    def named_parameters(self) -> list[tuple[str, Any]]:
        # The TS names ("answer.predict", "steps[0]") are the keys; DSPy's own walk would prefix them.
        return [(name, self._predictors[name]) for name in self._order]

    def forward(self, **inputs: Any) -> dspy.Prediction:
        run = runs.current(self._run)
        runs.count(run, "program")
        predictor_lms = {
            name: describe(p.lm) for name, p in self._predictors.items() if getattr(p, "lm", None) is not None
        }
        reply = runs.node(
            run,
            PROGRAM_CALLBACK,
            {
                "program": self._index,
                "inputs": _record(inputs),
                "state": {name: predictor_state(self._predictors[name]) for name in self._order},
                "lm": describe(dspy.settings.lm),
                "predictorLms": predictor_lms,
            },
        )
        trace = dspy.settings.trace
        if trace is not None:
            limit = dspy.settings.get("max_trace_size", 10_000)
            for name, step_inputs, step_outputs in reply.get("trace") or []:
                predictor = self._predictors.get(name)
                if predictor is None:
                    continue
                if limit and len(trace) >= limit:
                    trace.pop(0)
                trace.append((predictor, dict(step_inputs), dspy.Prediction(**step_outputs)))
        return dspy.Prediction(**(reply.get("prediction") or {}))


def trace_record(trace: list[Any] | None) -> list[list[Any]] | None:
    if trace is None:
        return None
    out: list[list[Any]] = []
    for step in trace:
        predictor, step_inputs, step_outputs = step
        name = getattr(predictor, "_dspex_name", None)
        if name is not None:
            out.append([name, _record(step_inputs), fields_of(step_outputs)])
    return out
