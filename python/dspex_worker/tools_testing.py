"""Tools that misbehave on purpose, for the bridge's fault tests and benches.

Loaded only when the worker runs with DSPEX_WORKER_TEST_TOOLS=1, so production pools never expose them.
"""

from __future__ import annotations

import os
import signal
import struct
import sys
import threading
from collections.abc import Iterator
from typing import Any

from .context import CallContext
from .registry import tool

_held: list[bytes] = []
_stream_progress: dict[str, int] = {}
_progress_lock = threading.Lock()


def _params(args: Any) -> dict[str, Any]:
    return args if isinstance(args, dict) else {}


@tool("pid", inline=True)
def pid(args: Any, ctx: CallContext) -> int:
    return os.getpid()


@tool("crash")
def crash(args: Any, ctx: CallContext) -> None:
    """Print a last words line on stderr, optionally wait, then SIGKILL this worker."""
    p = _params(args)
    print(p.get("message", "dspex test crash: about to SIGKILL myself"), file=sys.stderr, flush=True)
    ctx.wait(float(p.get("after", 0)))
    os.kill(os.getpid(), signal.SIGKILL)


@tool("raise")
def raise_error(args: Any, ctx: CallContext) -> None:
    p = _params(args)
    kind = {"ValueError": ValueError, "KeyError": KeyError, "RuntimeError": RuntimeError}.get(
        str(p.get("type", "ValueError")), ValueError
    )
    raise kind(p.get("message", "raised on purpose"))


@tool("hang")
def hang(args: Any, ctx: CallContext) -> None:
    """Block without ever looking at cancellation, as stuck native code would."""
    threading.Event().wait(float(_params(args).get("seconds", 3600)))


@tool("stream_count")
def stream_count(args: Any, ctx: CallContext) -> Iterator[int]:
    """Yield 0..n-1 and record how far the generator got under `key` (see stream_progress)."""
    p = _params(args)
    key = str(p.get("key", ctx.id))
    for i in range(int(p.get("n", 10))):
        with _progress_lock:
            _stream_progress[key] = i + 1
        yield i
        delay = float(p.get("delay", 0))
        if delay:
            ctx.wait(delay)


@tool("stream_progress", inline=True)
def stream_progress(args: Any, ctx: CallContext) -> int:
    with _progress_lock:
        return _stream_progress.get(str(_params(args).get("key")), 0)


@tool("stream_fail")
def stream_fail(args: Any, ctx: CallContext) -> Iterator[int]:
    yield 1
    raise RuntimeError("stream failed after one chunk")


@tool("bad_result")
def bad_result(args: Any, ctx: CallContext) -> object:
    return {"ok": True, "thing": object()}


@tool("emit_bad_frame")
def emit_bad_frame(args: Any, ctx: CallContext) -> None:
    """Write a frame whose body is not MessagePack (0xc1 is never used), or an oversized length."""
    if _params(args).get("oversized"):
        raw = struct.pack(">I", 0xFFFFFFF0) + b"\x00" * 16
    else:
        raw = struct.pack(">I", 8) + b"\xc1" * 8
    ctx.channel.writer.write_raw(raw)
    ctx.wait(5)


@tool("print_noise")
def print_noise(args: Any, ctx: CallContext) -> str:
    """Print to stdout and stderr, including bytes that look like frames: the channel must not care."""
    print("noise on stdout \x00\x00\x00\x05hello", flush=True)
    print("noise on stderr", file=sys.stderr, flush=True)
    return "quiet"


@tool("alloc")
def alloc(args: Any, ctx: CallContext) -> int:
    """Allocate and hold `mb` megabytes (touched, so they count in RSS)."""
    _held.append(b"x" * (int(_params(args).get("mb", 10)) * 1024 * 1024))
    return len(_held)


@tool("session_set")
def session_set(args: Any, ctx: CallContext) -> None:
    if ctx.session is None:
        raise RuntimeError("session_set needs a session")
    ctx.session.update(_params(args))


@tool("session_get")
def session_get(args: Any, ctx: CallContext) -> Any:
    if ctx.session is None:
        raise RuntimeError("session_get needs a session")
    return dict(ctx.session)


@tool("call_node")
def call_node_tool(args: Any, ctx: CallContext) -> Any:
    p = _params(args)
    return ctx.call_node(str(p["name"]), p.get("args"))


@tool("predict")
def predict(args: Any, ctx: CallContext) -> dict[str, Any]:
    """Run a real dspy.Predict with the worker's LM (Node's, through the lm callback)."""
    import dspy

    p = _params(args)
    program = dspy.Predict(str(p["signature"]))
    prediction = program(**p.get("inputs", {}))
    lm = dspy.settings.lm
    last = lm.history[-1] if lm is not None and lm.history else {}
    return {"outputs": dict(prediction.items()), "usage": last.get("usage"), "model": last.get("response_model")}


@tool("env_names", inline=True)
def env_names(args: Any, ctx: CallContext) -> list[str]:
    return sorted(os.environ)


@tool("lm_roundtrip")
def lm_roundtrip(args: Any, ctx: CallContext) -> dict[str, list[float]]:
    """Time n LM calls made from Python to Node's LM: NodeLM.forward alone, and DSPy's full lm(...) call."""
    import time

    from .lm_proxy import NodeLM

    p = _params(args)
    n = int(p.get("n", 100))
    messages = p.get("messages") or [{"role": "user", "content": "hi"}]
    lm = NodeLM()
    out: dict[str, list[float]] = {"forward": [], "call": []}
    for _ in range(n):
        start = time.perf_counter()
        lm.forward(messages=messages)
        out["forward"].append((time.perf_counter() - start) * 1e6)
    for _ in range(n):
        start = time.perf_counter()
        lm(messages=messages)
        out["call"].append((time.perf_counter() - start) * 1e6)
    return out


@tool("cb_roundtrip")
def cb_roundtrip(args: Any, ctx: CallContext) -> dict[str, list[float]]:
    """Time n bare callbacks to Node (`name`, default "noop"): the hand-off alone, without an LM.
    `send` is the encode-and-write part of each, `total` the whole round trip, `cpu` the worker's
    CPU time per round trip (µs)."""
    import time

    p = _params(args)
    n = int(p.get("n", 100))
    name = str(p.get("name", "noop"))
    payload = p.get("args")
    channel = ctx.channel
    writer = channel.writer
    out: dict[str, list[float]] = {"total": [], "send": []}
    original = writer.send

    def timed_send(message: dict[str, Any]) -> None:
        start = time.perf_counter()
        original(message)
        out["send"].append((time.perf_counter() - start) * 1e6)

    writer.send = timed_send  # type: ignore[method-assign]
    cpu = time.process_time()
    try:
        for _ in range(n):
            start = time.perf_counter()
            channel.call(name, payload, parent=ctx)
            out["total"].append((time.perf_counter() - start) * 1e6)
    finally:
        del writer.send
    # CPU time of the whole worker process (reader thread included) per round trip: unlike the
    # wall times, it does not depend on how busy the machine's other processes keep the cores.
    out["cpu"] = [(time.process_time() - cpu) / n * 1e6]
    return out


@tool("log_warning")
def log_warning(args: Any, ctx: CallContext) -> None:
    import logging

    logging.getLogger("dspex.test").warning("careful: %s", _params(args).get("what", "something"))


@tool("log_dspy")
def log_dspy(args: Any, ctx: CallContext) -> None:
    """Log one record at each level through a DSPy logger, as DSPy's modules do."""
    import logging

    log = logging.getLogger("dspy.teleprompt.dspex_test")
    what = _params(args).get("what", "something")
    log.debug("debug: %s", what)
    log.info("info: %s", what)
    log.warning("warning: %s", what)
    log.error("error: %s", what)


@tool("proc_info")
def proc_info(args: Any, ctx: CallContext) -> dict[str, Any]:
    """Who this worker is: its pid, parent, process group, a fresh random draw and whether it
    inherited frozen objects from a fork server (gc.freeze there, none in a spawned worker)."""
    import gc
    import random

    ctx.wait(float(_params(args).get("hold", 0)))
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "pgid": os.getpgid(0),
        "random": random.random(),
        "frozen": gc.get_freeze_count(),
    }


@tool("media_echo")
def media_echo(args: Any, ctx: CallContext) -> dict[str, Any]:
    """The Python types of the values Node sent, and the values themselves sent back."""
    values = _params(args).get("values") or []
    return {"types": [type(v).__module__ + "." + type(v).__name__ for v in values], "values": values}


@tool("dspy_history_sizes", inline=True)
def dspy_history_sizes(args: Any, ctx: CallContext) -> dict[str, int]:
    """How many entries DSPy's global history and the configured LM's history hold."""
    import dspy
    import dspy.clients.base_lm as base_lm

    return {"global": len(base_lm.GLOBAL_HISTORY), "lm": len(dspy.settings.lm.history)}
