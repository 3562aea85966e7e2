"""wire.json, the one table of tools, callbacks and messages between Node and Python, against
what the Python side really registers, calls and sends."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dspex_worker import wire
from dspex_worker.channel import NodeChannel
from dspex_worker.protocol import FrameReader, FrameWriter
from dspex_worker.registry import REGISTRY, Registry
from dspex_worker.worker import Worker, error_message, load_tools

CASES = json.loads((Path(__file__).with_name("wire_cases.json")).read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{json.dumps(c['shape'])}~{json.dumps(c['value'])}" for c in CASES])
def test_checker_decides_the_shared_cases(case: dict[str, Any]) -> None:
    problem = wire.check(case["shape"], case["value"])
    assert (problem is None) == case["ok"], problem


def test_every_type_string_in_the_table_is_known() -> None:
    def walk(shape: Any) -> None:
        if isinstance(shape, dict):
            for field in shape.values():
                walk(field)
        else:
            wire.check(shape, None)  # raises for an unknown type name

    table = wire.table()
    for direction in table["messages"].values():
        for shape in direction.values():
            walk(shape)
    for section in ("tools", "callbacks"):
        for entry in table[section].values():
            walk(entry["args"])
            walk(entry["result"])


def test_the_table_lists_exactly_the_tools_a_shared_pool_registers() -> None:
    # What src/bridge/shared-pools.ts loads in every shared pool (tools_testing is for tests only).
    load_tools(False, "dspex_worker.modules_python,dspex_worker.retrievers,dspex_worker.optimize")
    # (Another test may have imported the test tools into the same registry: they are not the table's.)
    names = [n for n in REGISTRY.names() if REGISTRY.get(n).fn.__module__ != "dspex_worker.tools_testing"]
    assert names == wire.tool_names()


def test_every_callback_python_calls_is_in_the_table() -> None:
    from dspex_worker import modules_python, retrievers
    from dspex_worker.lm_proxy import NodeLM
    from dspex_worker.optimize import lms, metric, program, progress, tools

    called = {
        NodeLM().callback,
        modules_python.TOOLS_CALLBACK,
        retrievers.EMBED_CALLBACK,
        lms.LM_CALLBACK,
        metric.METRIC_CALLBACK,
        program.PROGRAM_CALLBACK,
        progress.PROGRESS_CALLBACK,
        tools.EMBED_CALLBACK,
    }
    assert called <= set(wire.callback_names()), called - set(wire.callback_names())


def test_node_lm_sends_what_the_table_says_and_reads_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    from dspex_worker import lm_proxy

    sent: list[tuple[str, Any]] = []
    reply = {"outputs": ["hi"], "usage": {"promptTokens": 1}, "model": "m", "cached": False, "finishReasons": [None]}

    def fake_call_node(name: str, args: Any = None, timeout: float | None = None) -> Any:
        sent.append((name, args))
        return reply

    monkeypatch.setattr(lm_proxy, "call_node", fake_call_node)
    lm_proxy.NodeLM(temperature=0.5).forward(messages=[{"role": "user", "content": "hello"}])
    name, args = sent[0]
    entry = wire.table()["callbacks"][name]
    assert wire.check(entry["args"], args, "args") is None
    assert wire.check(entry["result"], reply, "result") is None


def test_error_frames_fit_the_error_message() -> None:
    try:
        raise KeyError("x")
    except KeyError as exc:
        frame = error_message(7, exc)
    shape = wire.table()["messages"]["fromPython"][frame.pop("k")]
    assert wire.check(shape, frame) is None


def test_a_listed_tool_with_bad_arguments_is_refused_before_it_runs() -> None:
    ran: list[Any] = []
    registry = Registry()
    registry.register("optimize.release", lambda args, ctx: ran.append(args))
    out_r, out_w = os.pipe()
    writer = FrameWriter(out_w)
    worker = Worker(writer, NodeChannel(writer), threads=1, registry=registry)
    worker.handle({"k": "call", "id": 1, "tool": "optimize.release", "args": {"handle": 5}})
    frame = FrameReader().feed(os.read(out_r, 1 << 16))[0]
    assert frame["k"] == "error" and frame["type"] == "BadArguments"
    assert "args.handle must be str" in frame["message"]
    assert ran == []
