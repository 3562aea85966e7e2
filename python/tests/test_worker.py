"""The worker loop over real pipes, without Node: frames in, frames out."""

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dspex_worker.channel import NodeChannel
from dspex_worker.context import CallContext
from dspex_worker.protocol import FrameReader, FrameWriter
from dspex_worker.registry import Registry
from dspex_worker.worker import Worker


class Harness:
    def __init__(self, registry: Registry) -> None:
        self.out_r, out_w = os.pipe()
        writer = FrameWriter(out_w)
        self.worker = Worker(writer, NodeChannel(writer), threads=4, registry=registry)
        self.reader = FrameReader()
        self.pending: list[dict[str, Any]] = []

    def next(self, timeout: float = 5) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while not self.pending:
            assert time.monotonic() < end, "no message"
            self.pending.extend(self.reader.feed(os.read(self.out_r, 1 << 16)))
        return self.pending.pop(0)


@pytest.fixture
def harness() -> Harness:
    registry = Registry()

    @registry_tool(registry, "add")
    def add(args: Any, ctx: CallContext) -> Any:
        return args["a"] + args["b"]

    @registry_tool(registry, "count")
    def count(args: Any, ctx: CallContext) -> Iterator[int]:
        yield from range(int(args))

    @registry_tool(registry, "wait")
    def wait(args: Any, ctx: CallContext) -> None:
        ctx.wait(30)

    @registry_tool(registry, "ask_node")
    def ask_node(args: Any, ctx: CallContext) -> Any:
        return ctx.call_node("double", args)

    @registry_tool(registry, "unserialisable")
    def unserialisable(args: Any, ctx: CallContext) -> Any:
        return {1, 2}

    return Harness(registry)


def registry_tool(registry: Registry, name: str):  # type: ignore[no-untyped-def]
    def decorate(fn):  # type: ignore[no-untyped-def]
        registry.register(name, fn)
        return fn

    return decorate


def test_call_and_result(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 1, "tool": "add", "args": {"a": 2, "b": 3}})
    assert harness.next() == {"k": "result", "id": 1, "value": 5}


def test_unknown_tool(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 2, "tool": "nope", "args": None})
    msg = harness.next()
    assert msg["k"] == "error" and msg["type"] == "UnknownTool"


def test_stream_respects_credit(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 3, "tool": "count", "args": 5, "stream": True, "credit": 2})
    assert [harness.next()["value"] for _ in range(2)] == [0, 1]
    time.sleep(0.1)
    assert not harness.pending  # paused: no credit left
    harness.worker.handle({"k": "credit", "id": 3, "n": 10})
    assert [harness.next()["value"] for _ in range(3)] == [2, 3, 4]
    assert harness.next() == {"k": "end", "id": 3}


def test_cancel_wakes_a_waiting_tool(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 4, "tool": "wait", "args": None})
    time.sleep(0.05)
    harness.worker.handle({"k": "cancel", "id": 4})
    msg = harness.next()
    assert msg["k"] == "error" and msg["type"] == "Cancelled"


def test_callback_round_trip(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 5, "tool": "ask_node", "args": 21})
    cb = harness.next()
    assert cb["k"] == "cb_call" and cb["name"] == "double" and cb["parent"] == 5
    harness.worker.handle({"k": "cb_result", "id": cb["id"], "ok": True, "value": 42})
    assert harness.next() == {"k": "result", "id": 5, "value": 42}


def test_callback_error_becomes_python_exception(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 6, "tool": "ask_node", "args": 1})
    cb = harness.next()
    harness.worker.handle(
        {"k": "cb_result", "id": cb["id"], "ok": False, "error": {"type": "CallbackNotAllowed", "message": "no"}}
    )
    msg = harness.next()
    assert msg["type"] == "NodeCallbackError" and "CallbackNotAllowed" in msg["message"]


def test_unserialisable_result_is_reported(harness: Harness) -> None:
    harness.worker.handle({"k": "call", "id": 7, "tool": "unserialisable", "args": None})
    msg = harness.next()
    assert msg["type"] == "UnserializableResult" and "cannot be serialised" in msg["message"]


def test_heartbeat_is_answered_on_the_reader_thread(harness: Harness) -> None:
    harness.worker.handle({"k": "hb", "t": 123})
    assert harness.next() == {"k": "hb", "t": 123}


def test_parent_death_signal_is_set() -> None:
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux-only")
    from dspex_worker.lifecycle import set_parent_death_signal

    result: list[int] = []

    def probe() -> None:
        assert set_parent_death_signal(signal.SIGTERM)
        value = ctypes.c_int()
        ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
        result.append(value.value)
        set_parent_death_signal(0)

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert result == [signal.SIGTERM]
