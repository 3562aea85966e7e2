"""Metrics for a run: a TypeScript function called back in Node, or one of DSPy's own by name."""

from __future__ import annotations

from typing import Any

import dspy

from . import runs
from .program import fields_of, trace_record

METRIC_CALLBACK = "optimize.metric"

BUILTINS = {
    "answerExactMatch": dspy.evaluate.answer_exact_match,
    "answer_exact_match": dspy.evaluate.answer_exact_match,
    "answerPassageMatch": dspy.evaluate.answer_passage_match,
    "answer_passage_match": dspy.evaluate.answer_passage_match,
}


def example_record(example: Any) -> dict[str, Any]:
    keys = getattr(example, "_input_keys", None)
    return {"fields": fields_of(example), "inputs": sorted(keys) if keys else []}


class NodeMetric:
    """DSPy calls metric(gold, pred, trace) and GEPA adds (pred_name, pred_trace): both reach Node."""

    def __init__(self, run: str, name: str = "metric") -> None:
        self.run = run
        self.__name__ = name

    def __call__(
        self,
        example: Any,
        prediction: Any,
        trace: Any = None,
        pred_name: str | None = None,
        pred_trace: Any = None,
    ) -> Any:
        run = runs.current(self.run)
        runs.count(run, "metric")
        args: dict[str, Any] = {
            "example": example_record(example),
            "prediction": fields_of(prediction),
            "trace": trace_record(trace),
        }
        if pred_name is not None:
            args["predName"] = pred_name
            args["predTrace"] = trace_record(pred_trace)
        value = runs.node(run, METRIC_CALLBACK, args)
        if isinstance(value, dict):
            # A feedback metric's {score, feedback}: GEPA reads both as attributes.
            return dspy.Prediction(**value)
        return value


def make_metric(run: str, spec: Any) -> Any:
    if spec is None:
        return None
    if isinstance(spec, dict) and "builtin" in spec:
        name = spec["builtin"]
        if name not in BUILTINS:
            raise ValueError(f"unknown built-in metric {name!r} (known: {', '.join(sorted(BUILTINS))})")
        return BUILTINS[name]
    return NodeMetric(run, str(spec.get("name", "metric")) if isinstance(spec, dict) else "metric")
