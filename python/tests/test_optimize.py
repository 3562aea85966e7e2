"""The optimizer package's pieces that need no Node: signatures, the proxy's names and state, LM roles, refs."""

from __future__ import annotations

from typing import Any, Literal, Optional

import dspy
import pytest

from dspex_worker.optimize import lms, program, runs, tools
from dspex_worker.optimize.lms import RunLM, describe
from dspex_worker.optimize.metric import BUILTINS, make_metric
from dspex_worker.optimize.program import ProgramProxy, build_signature, python_type, trace_record

SPEC = {
    "predictors": [
        {
            "name": "answer.predict",
            "signature": {
                "name": "QA",
                "instructions": "Answer the question.",
                "fields": [
                    {"name": "question", "kind": "input", "type": "str", "prefix": "Question:", "description": "${question}"},
                    {"name": "reasoning", "kind": "output", "type": "str", "prefix": "Reasoning:", "description": "think"},
                    {"name": "answer", "kind": "output", "type": "list[str]", "prefix": "Answer:", "description": "${answer}"},
                ],
            },
            "demos": [{"question": "q", "reasoning": "r", "answer": ["a"]}],
        },
        {
            "name": "steps[0]",
            "signature": {
                "instructions": "Step.",
                "fields": [
                    {"name": "a", "kind": "input", "type": "int", "prefix": "A:", "description": "${a}"},
                    {"name": "b", "kind": "output", "type": "Literal['x', 'y']", "prefix": "B:", "description": "${b}"},
                ],
            },
            "demos": [],
        },
    ]
}


def test_python_type_rebuilds_dspy_annotations_and_refuses_anything_else() -> None:
    assert python_type("str") is str
    assert python_type("list[str]") == list[str]
    assert python_type("Literal['a', 'b']") == Literal["a", "b"]
    assert python_type("Union[int, NoneType]") == Optional[int]
    assert python_type("dict[str, Any]") == dict[str, Any]
    assert python_type("MyModel") is dict  # structured TS types: a dict stands in
    assert python_type("().__class__") is str
    assert python_type("__import__('os')") is str
    assert python_type(None) is str


def test_build_signature_keeps_order_instructions_prefixes_and_descriptions() -> None:
    sig = build_signature(SPEC["predictors"][0]["signature"])
    assert list(sig.input_fields) == ["question"]
    assert list(sig.output_fields) == ["reasoning", "answer"]
    assert sig.instructions == "Answer the question."
    assert sig.output_fields["reasoning"].json_schema_extra["prefix"] == "Reasoning:"
    assert sig.output_fields["reasoning"].json_schema_extra["desc"] == "think"
    assert sig.output_fields["answer"].annotation == list[str]


def test_proxy_names_match_the_ts_names_and_dump_dspy_state() -> None:
    proxy = ProgramProxy("run-1", 0, SPEC)
    assert [name for name, _ in proxy.named_predictors()] == ["answer.predict", "steps[0]"]
    state = proxy.dump_state()
    assert list(state) == ["answer.predict", "steps[0]"]
    assert state["answer.predict"]["demos"] == [{"question": "q", "reasoning": "r", "answer": ["a"]}]
    assert state["answer.predict"]["signature"]["fields"][1] == {"prefix": "Reasoning:", "description": "think"}
    copy = proxy.deepcopy()
    assert [name for name, _ in copy.named_predictors()] == ["answer.predict", "steps[0]"]
    assert copy.named_predictors()[0][1] is not proxy.named_predictors()[0][1]
    reset = proxy.reset_copy()
    assert reset.dump_state()["answer.predict"]["demos"] == []


def test_trace_records_name_the_proxy_predictors() -> None:
    proxy = ProgramProxy("run-1", 0, SPEC)
    predictor = proxy.named_predictors()[1][1]
    trace = [(predictor, {"a": 1}, dspy.Prediction(b="x")), (dspy.Predict("q -> a"), {"q": 1}, dspy.Prediction(a=2))]
    assert trace_record(trace) == [["steps[0]", {"a": 1}, {"b": "x"}]]
    assert trace_record(None) is None


def test_run_lm_reports_only_the_settings_an_optimizer_changed() -> None:
    lm = RunLM("run-1", "teacher")
    assert describe(lm) == {"role": "teacher", "config": {}}
    hot = lm.copy(temperature=0.9, rollout_id=3, top_p=0.5)
    assert describe(hot) == {
        "role": "teacher",
        "config": {"temperature": 0.9, "rolloutId": 3, "providerOptions": {"top_p": 0.5}},
    }
    assert describe(None) == {"role": "task", "config": {}}
    assert lms.LM_CALLBACK == "optimize.lm"


def test_run_lm_sends_role_and_run_to_node(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def fake_node(name: str, args: Any, timeout: float | None = None) -> Any:
        sent.append((name, args))
        return {"outputs": ["hi"], "usage": {"promptTokens": 1, "completionTokens": 1}, "model": "m", "cached": False}

    monkeypatch.setattr(runs, "call_node", fake_node)
    with runs.active("run-9", None) as entry:
        assert RunLM("run-9", "prompt")("hello") == ["hi"]
        assert entry.lm_calls["prompt"] == 1
    name, args = sent[0]
    assert name == "optimize.lm"
    assert args["run"] == "run-9" and args["role"] == "prompt"
    assert args["messages"] == [{"role": "user", "content": "hello"}]


def test_metrics_builtins_and_refs() -> None:
    assert make_metric("r", {"builtin": "answerExactMatch"}) is dspy.evaluate.answer_exact_match
    assert "answer_passage_match" in BUILTINS
    with pytest.raises(ValueError, match="unknown built-in metric"):
        make_metric("r", {"builtin": "nope"})
    refs = tools.Refs("r", {"lms": ["task", "teacher"], "metric": {"builtin": "answerExactMatch"}, "program": SPEC})
    resolved = refs.resolve({"teacher_settings": {"lm": {"$": "lm", "role": "teacher"}}, "metric": {"$": "metric"}, "k": 3})
    assert resolved["teacher_settings"]["lm"] is refs.lms["teacher"]
    assert resolved["metric"] is dspy.evaluate.answer_exact_match
    assert resolved["k"] == 3
    with pytest.raises(ValueError, match="unknown reference"):
        refs.resolve({"$": "nothing"})
    assert set(tools.OPTIMIZERS) >= {"MIPROv2", "GEPA", "SIMBA", "COPRO", "KNNFewShot", "Ensemble"}
    assert program.PROGRAM_CALLBACK == "optimize.program"


def test_gepa_scores_carry_the_pareto_front() -> None:
    from dspy.teleprompt.gepa.gepa import DspyGEPAResult

    details = DspyGEPAResult(
        candidates=[object(), object(), object()],
        parents=[[None], [0], [0, 1]],
        val_aggregate_scores=[0.0, 0.5, 0.5],
        val_subscores=[{0: 0.0, 1: 0.0}, {0: 1.0, 1: 0.0}, {0: 0.0, 1: 1.0}],
        per_val_instance_best_candidates={1: {2}, 0: {1}},
        discovery_eval_counts=[0, 8, 16],
    )

    class Compiled:
        detailed_results = details

    scores = tools._scores(Compiled())
    assert scores["candidates"] == [0.0, 0.5, 0.5]
    assert scores["before"] == 0.0 and scores["after"] == 0.5
    assert scores["pareto"] == {
        "instances": [0, 1],
        "subscores": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
        "best": [[1], [2]],
        "parents": [[None], [0], [0, 1]],
        "discoveryEvalCounts": [0, 8, 16],
    }
