from typing import Any

import dspy
import pydantic
import pytest

from dspex_worker import lm_proxy
from dspex_worker.lm_proxy import NodeLM, openai_response, settings_for_node


class FakeNode:
    def __init__(self, texts: list[str], cached: bool = False) -> None:
        self.texts = texts
        self.cached = cached
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, name: str, args: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        self.requests.append((name, args))
        return {
            "outputs": self.texts,
            "usage": {"promptTokens": 12, "completionTokens": 5, "totalTokens": 17},
            "model": "node-model",
            "cached": self.cached,
            "finishReasons": ["stop"] * len(self.texts),
        }


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> FakeNode:
    fake = FakeNode(["[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"])
    monkeypatch.setattr(lm_proxy, "call_node", fake)
    return fake


def test_response_is_openai_shaped() -> None:
    r = openai_response(
        {"outputs": ["a", "b"], "usage": {"promptTokens": 3, "completionTokens": 2}, "model": "m", "cached": False}
    )
    assert r["object"] == "chat.completion"
    assert r["model"] == "m"
    assert [c["message"]["content"] for c in r["choices"]] == ["a", "b"]
    assert r["choices"][0]["finish_reason"] == "stop"
    assert r["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_cached_replies_carry_no_usage() -> None:
    r = openai_response({"outputs": ["a"], "usage": {"promptTokens": 3, "completionTokens": 2}, "cached": True})
    assert r["usage"]["total_tokens"] == 0
    assert r["cache_hit"] is True


def test_settings_drop_credentials_and_none_and_convert_pydantic_formats() -> None:
    class Answer(pydantic.BaseModel):
        answer: str

    s = settings_for_node({"temperature": 0.0, "max_tokens": None, "api_key": "sk-x", "response_format": Answer})
    assert "api_key" not in s and "max_tokens" not in s
    assert s["temperature"] == 0.0
    assert s["response_format"]["type"] == "json_schema"
    assert s["response_format"]["schema"]["properties"]["answer"]["type"] == "string"


def test_predict_runs_through_node(node: FakeNode) -> None:
    lm = NodeLM(temperature=0.5)
    with dspy.context(lm=lm):
        prediction = dspy.Predict("question -> answer")(question="Capital of France?")
    assert prediction.answer == "Paris"
    name, args = node.requests[0]
    assert name == "lm"
    assert args["messages"][0]["role"] == "system"
    assert "Capital of France?" in args["messages"][-1]["content"]
    assert args["settings"]["temperature"] == 0.5
    assert lm.history[-1]["usage"]["total_tokens"] == 17
    assert lm.history[-1]["response_model"] == "node-model"


def test_plain_prompt_call(node: FakeNode) -> None:
    node.texts = ["hello there"]
    assert NodeLM()("hi") == ["hello there"]
    assert node.requests[-1][1]["messages"] == [{"role": "user", "content": "hi"}]


def test_dump_state_has_no_secrets() -> None:
    state = NodeLM(callback="lm", api_key="sk-never").dump_state()
    assert "api_key" not in state
    assert state["callback"] == "lm"
