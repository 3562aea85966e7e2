"""modules_python: DSPy modules built from DSPex's wire specs, run with DSPy's DummyLM.

Node is replaced by a recorder for the tool callbacks only; the modules, adapters and parsing are DSPy's.
"""

from typing import Any

import dspy
import pytest
from dspy.utils.dummies import DummyLM

from dspex_worker import modules_python
from dspex_worker.context import CallContext
from dspex_worker.deno_sandbox import SandboxUnavailable, deno_command
from dspex_worker.dspy_values import build_signature, describe_signature, jsonable

QA = {
    "instructions": "Answer the question.",
    "inputs": [{"name": "question", "type": "str", "desc": "a question", "prefix": "Question:"}],
    "outputs": [{"name": "answer", "type": "str", "desc": "${answer}", "prefix": "Answer:"}],
}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, name: str, args: Any = None, timeout: float | None = None) -> Any:
        self.calls.append((name, args))
        return f"result for {args['args']}"


def ctx() -> CallContext:
    return CallContext(1, "test", None)  # type: ignore[arg-type]


def test_signature_round_trip_keeps_types_descriptions_and_prefixes() -> None:
    spec = {
        "instructions": "Do it.",
        "inputs": [{"name": "ctx", "type": "list[str]", "desc": "passages", "prefix": "Context:"}],
        "outputs": [
            {"name": "label", "type": "Literal['a', 'b']", "desc": None, "prefix": None},
            {"name": "n", "type": "Optional[int]"},
        ],
    }
    sig = build_signature(spec)
    assert sig.instructions == "Do it."
    assert sig.input_fields["ctx"].json_schema_extra["desc"] == "passages"
    described = describe_signature(sig)
    assert [f["type"] for f in described["outputs"]] == ["Literal['a', 'b']", "Union[int, NoneType]"]
    assert described["inputs"][0]["prefix"] == "Context:"


def test_signature_knows_dspy_code_and_reasoning() -> None:
    sig = build_signature({"inputs": [{"name": "task", "type": "str"}], "outputs": [{"name": "program", "type": "Code"}, {"name": "why", "type": "Reasoning"}]})
    assert sig.output_fields["program"].annotation is dspy.Code
    assert sig.output_fields["why"].annotation is dspy.Reasoning


def test_signature_builds_dspy_code_of_a_language() -> None:
    sig = build_signature({"inputs": [{"name": "task", "type": "str"}], "outputs": [{"name": "program", "type": "list[Code_java]"}]})
    item = sig.output_fields["program"].annotation.__args__[0]
    assert issubclass(item, dspy.Code)
    assert item.language == "java"
    assert item.__name__ == "Code_java"


def test_react_calls_node_tools_by_token_and_traces_predictors(monkeypatch: pytest.MonkeyPatch) -> None:
    node = Recorder()
    monkeypatch.setattr(modules_python, "call_node", node)
    lm = DummyLM(
        [
            {"next_thought": "look", "next_tool_name": "search", "next_tool_args": {"q": "x"}},
            {"next_thought": "done", "next_tool_name": "finish", "next_tool_args": {}},
            {"reasoning": "found", "answer": "X"},
        ]
    )
    spec = {
        "signature": QA,
        "tools": [
            {
                "name": "search",
                "description": "Search",
                "parameters": {"type": "object", "properties": {"q": {"type": "string", "description": "query"}}},
            }
        ],
    }
    with dspy.context(lm=lm):
        out = modules_python.module_forward(
            {"kind": "react", "spec": spec, "inputs": {"question": "?"}, "tools_token": "t1", "describe": True}, ctx()
        )
    assert out["outputs"]["answer"] == "X"
    assert node.calls == [("dspex.tools", {"token": "t1", "name": "search", "args": {"q": "x"}})]
    assert [t["predictor"] for t in out["trace"]] == ["react", "react", "extract.predict"]
    assert [p["name"] for p in out["predictors"]] == ["react", "extract.predict"]
    assert "search, whose description is <desc>Search</desc>" in out["predictors"][0]["signature"]["instructions"]


def test_state_from_node_reaches_the_prompt() -> None:
    lm = DummyLM([{"answer": "B"}])
    state = {
        "self": {
            "demos": [{"question": "demo question", "answer": "demo answer"}],
            "signature": {"instructions": "New instructions.", "fields": [{"prefix": "Question:", "description": "q"}, {"prefix": "Answer:", "description": "a"}]},
            "lm": None,
        }
    }
    with dspy.context(lm=lm):
        out = modules_python.module_forward(
            {"kind": "predict", "spec": {"signature": QA}, "state": state, "inputs": {"question": "?"}}, ctx()
        )
    assert out["outputs"] == {"answer": "B"}
    prompt = "\n".join(m["content"] for m in lm.history[-1]["messages"])
    assert "New instructions." in prompt and "demo question" in prompt


def test_multi_chain_comparison_reads_plain_dict_attempts() -> None:
    lm = DummyLM([{"rationale": "compare", "answer": "4"}])
    with dspy.context(lm=lm):
        out = modules_python.module_forward(
            {
                "kind": "multi_chain_comparison",
                "spec": {"signature": QA, "m": 2},
                "inputs": {"question": "2+2", "completions": [{"reasoning": "r1", "answer": "4"}, {"rationale": "r2", "answer": "5"}]},
            },
            ctx(),
        )
    assert out["outputs"] == {"rationale": "compare", "answer": "4"}


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: predict, chain_of_thought, react"):
        modules_python.build_module("teleport", {"signature": QA})


def test_program_of_thought_without_deno_never_runs_code(tmp_path: Any) -> None:
    with pytest.raises(SandboxUnavailable):
        modules_python.build_module("program_of_thought", {"signature": QA, "deno": str(tmp_path / "no-deno")})
    with pytest.raises(SandboxUnavailable):
        deno_command("")


def test_jsonable_flattens_dspy_values() -> None:
    pred = dspy.Prediction(answer="a", items=(1, 2))
    assert jsonable({"p": pred, "s": {3}}) == {"p": {"answer": "a", "items": [1, 2]}, "s": [3]}
