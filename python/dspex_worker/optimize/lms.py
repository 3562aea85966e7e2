"""The run's LMs: named NodeLMs (task, teacher, prompt, reflection) served by Node's LMs."""

from __future__ import annotations

from typing import Any

from ..lm_proxy import NodeLM, openai_response, settings_for_node
from . import runs

LM_CALLBACK = "optimize.lm"

# DSPy's LM kwargs -> our PredictConfig, for settings an optimizer changes with lm.copy(...).
CONFIG_KEYS = {"temperature": "temperature", "max_tokens": "maxTokens", "n": "n", "rollout_id": "rolloutId"}


class RunLM(NodeLM):
    def __init__(self, run: str, role: str, **kwargs: Any) -> None:
        super().__init__(model=f"dspex/{role}", callback=LM_CALLBACK, **kwargs)
        self.run = run
        self.role = role
        # What an optimizer changes (lm.copy(temperature=..., rollout_id=...)) must reach the TS program.
        self.base_kwargs = dict(self.kwargs)

    def forward(self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any) -> Any:
        if messages is None:
            messages = [{"role": "user", "content": prompt or ""}]
        run = runs.current(self.run)
        runs.count(run, "lm", self.role)
        settings = settings_for_node({**self.kwargs, **kwargs})
        reply = runs.node(run, LM_CALLBACK, {"role": self.role, "messages": messages, "settings": settings})
        if not isinstance(reply, dict):
            raise TypeError(f"Node's {LM_CALLBACK!r} callback returned {type(reply).__name__}, expected a map")
        return openai_response(reply)

    def dump_state(self) -> dict[str, Any]:
        return {**super().dump_state(), "role": self.role}


def describe(lm: Any) -> dict[str, Any]:
    """The role and changed settings of the LM a program run should use (sent with each run)."""
    if not isinstance(lm, RunLM):
        return {"role": "task", "config": {}}
    config: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in lm.kwargs.items():
        if value is None or lm.base_kwargs.get(key) == value:
            continue
        if key in CONFIG_KEYS:
            config[CONFIG_KEYS[key]] = value
        else:
            other[key] = value
    if other:
        config["providerOptions"] = settings_for_node(other)
    return {"role": lm.role, "config": config}
