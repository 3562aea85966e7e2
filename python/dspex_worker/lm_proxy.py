"""NodeLM: DSPy's LM inside a worker, served by Node.

Every request (messages and settings, never credentials) goes to Node over the callback
channel; Node runs it with its own LM, cache and usage accounting and sends back the
texts. We rebuild an OpenAI-shaped chat completion, which is what BaseLM.forward returns.
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from typing import Any

import dspy

from .channel import call_node

# DSPy 3.4 deprecates forward()-based LMs (removal planned in 3.5). We pin 3.4.1, so the
# legacy contract is the stable one here; the warning would only be noise in worker logs.
warnings.filterwarnings("ignore", message="Implementing custom LMs through BaseLM.forward", category=DeprecationWarning)

_ids = itertools.count(1)


def _jsonable(value: Any) -> Any:
    """Settings as plain data; a pydantic model class (DSPy's JSONAdapter) becomes a JSON schema format."""
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        return {"type": "json_schema", "name": value.__name__, "schema": value.model_json_schema(), "strict": True}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    return str(value)


def settings_for_node(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: _jsonable(val) for key, val in kwargs.items() if val is not None and not key.startswith("api_")}


def openai_response(reply: dict[str, Any]) -> dict[str, Any]:
    """Node's LMResponse -> an OpenAI chat.completion dict."""
    outputs = list(reply.get("outputs") or [])
    reasons = list(reply.get("finishReasons") or [])
    usage = reply.get("usage") or {}
    cached = bool(reply.get("cached"))
    prompt = 0 if cached else int(usage.get("promptTokens", 0))
    completion = 0 if cached else int(usage.get("completionTokens", 0))
    return {
        "id": f"dspex-{next(_ids)}",
        "object": "chat.completion",
        "model": reply.get("model"),
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": text},
                "finish_reason": (reasons[i] if i < len(reasons) and reasons[i] else "stop"),
            }
            for i, text in enumerate(outputs)
        ],
        # Cache hits in Node are not billed, so DSPy's usage tracker must not count them either.
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        "cache_hit": cached,
    }


class NodeLM(dspy.BaseLM):
    """A dspy.BaseLM whose requests are run by Node's LM (callback `lm` by default)."""

    def __init__(self, model: str = "node", callback: str = "lm", **kwargs: Any) -> None:
        # DSPy's own cache stays off: Node's cache is the one that counts.
        super().__init__(model=model, model_type="chat", cache=False, **kwargs)
        self.callback = callback

    def forward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        if messages is None:
            messages = [{"role": "user", "content": prompt or ""}]
        settings = settings_for_node({**self.kwargs, **kwargs})
        reply = call_node(self.callback, {"messages": messages, "settings": settings, "model": self.model})
        if not isinstance(reply, dict):
            raise TypeError(f"Node's {self.callback!r} callback returned {type(reply).__name__}, expected a map")
        return openai_response(reply)

    async def aforward(
        self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> Any:
        return await asyncio.to_thread(self.forward, prompt, messages, **kwargs)

    def dump_state(self) -> dict[str, Any]:
        state = super().dump_state()
        state["callback"] = self.callback
        return state
