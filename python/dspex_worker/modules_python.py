"""DSPy modules run for TypeScript programs: Predict, ChainOfThought, ReAct, ProgramOfThought,
MultiChainComparison.

Node owns the state (instructions and demos of each predictor) and sends it with every call, so
any worker can serve any call and a crash loses nothing. LM calls go to Node through NodeLM (the
call's LM); ReAct's tools are TypeScript functions called back by name for the duration of the call.
"""

from __future__ import annotations

import contextvars
from typing import Any

import dspy

from .channel import call_node
from .context import CallContext
from .dspy_values import build_signature, describe_signature, jsonable
from .registry import tool

# The tool table of the call in progress: Node registers the call's tools under this token.
_tools_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("dspex_tools_token", default=None)

TOOLS_CALLBACK = "dspex.tools"


def _node_tool(spec: dict[str, Any]) -> dspy.Tool:
    name = str(spec["name"])

    def run(**kwargs: Any) -> Any:
        token = _tools_token.get()
        if token is None:
            raise RuntimeError(f"tool {name!r} was called outside the module call that owns it")
        return call_node(TOOLS_CALLBACK, {"token": token, "name": name, "args": kwargs})

    schema = spec.get("parameters") or {}
    props = dict(schema.get("properties") or {})
    arg_desc = {k: str(v["description"]) for k, v in props.items() if isinstance(v, dict) and "description" in v}
    # args given explicitly: DSPy then skips inspecting `run`, whose signature says nothing.
    return dspy.Tool(run, name=name, desc=str(spec.get("description") or ""), args=props, arg_desc=arg_desc)


def build_module(kind: str, spec: dict[str, Any]) -> dspy.Module:
    signature = build_signature(spec["signature"])
    config = dict(spec.get("config") or {})
    if kind == "predict":
        return dspy.Predict(signature, **config)
    if kind == "chain_of_thought":
        return dspy.ChainOfThought(signature, **config)
    if kind == "react":
        tools = [_node_tool(t) for t in spec.get("tools") or []]
        return dspy.ReAct(signature, tools=tools, max_iters=int(spec.get("max_iters", 20)))
    if kind == "program_of_thought":
        from .deno_sandbox import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIME_LIMIT_S, interpreter_factory

        factory = interpreter_factory(
            str(spec.get("deno") or ""),
            float(spec.get("time_limit_s") or DEFAULT_TIME_LIMIT_S),
            int(spec.get("memory_limit_mb") or DEFAULT_MEMORY_LIMIT_MB),
        )
        return dspy.ProgramOfThought(signature, max_iters=int(spec.get("max_iters", 3)), interpreter_factory=factory)
    if kind == "multi_chain_comparison":
        return dspy.MultiChainComparison(
            signature, M=int(spec.get("m", 3)), temperature=float(spec.get("temperature", 0.7)), **config
        )
    raise ValueError(
        f"unknown module kind {kind!r}; known: predict, chain_of_thought, react, program_of_thought, "
        "multi_chain_comparison"
    )


def describe(module: dspy.Module) -> list[dict[str, Any]]:
    return [
        {"name": name, "signature": describe_signature(p.signature), "state": jsonable(p.dump_state())}
        for name, p in module.named_predictors()
    ]


def _prediction(pred: Any) -> dict[str, Any]:
    outputs = jsonable(dict(pred.items())) if hasattr(pred, "items") else {"output": jsonable(pred)}
    completions = getattr(pred, "_completions", None)
    result: dict[str, Any] = {"outputs": outputs}
    if completions is not None and len(completions) > 1:
        result["completions"] = [jsonable(dict(c.items())) for c in completions]
    return result


@tool("dspex.module.describe")
def module_describe(args: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
    """The DSPy module's named predictors, their signatures and default state (no LM call)."""
    return describe(build_module(str(args["kind"]), args["spec"]))


@tool("dspex.module.forward")
def module_forward(args: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    module = build_module(str(args["kind"]), args["spec"])
    state = args.get("state") or {}
    # Per predictor: a bare dspy.Predict's own load_state takes its state unkeyed, not {"self": ...}.
    for name, predictor in module.named_predictors():
        if isinstance(state.get(name), dict):
            predictor.load_state(state[name])
    names = {id(p): name for name, p in module.named_predictors()}
    inputs = dict(args.get("inputs") or {})
    if args["kind"] == "multi_chain_comparison":
        # DSPy reads attempts with .get() and [key]: plain dicts serve, as Predictions would.
        inputs["completions"] = [dict(c) for c in inputs.get("completions") or []]

    trace: list[Any] = []
    token = _tools_token.set(args.get("tools_token"))
    try:
        with dspy.context(trace=trace):
            pred = module(**inputs)
    finally:
        _tools_token.reset(token)

    result = _prediction(pred)
    result["trace"] = [
        {"predictor": names.get(id(p)), "inputs": jsonable(i), "outputs": jsonable(dict(o.items()))}
        for p, i, o in trace
    ]
    if args.get("describe"):
        result["predictors"] = describe(module)
    return result
