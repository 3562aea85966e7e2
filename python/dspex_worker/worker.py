"""The worker's main loop: read frames from fd 3, run tools, write frames to fd 4."""

from __future__ import annotations

import importlib
import logging
import os
import platform
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import __version__
from .channel import NodeChannel, install_channel
from .context import CallContext, Cancelled, reset_current_call, set_current_call
from .lifecycle import install_guards
from .protocol import MAX_FRAME, FrameReader, FrameTooLarge, FrameWriter, Message, ProtocolError, encode
from .registry import REGISTRY, Registry, Tool
from .wire import BadArguments, check_tool_args

READ_FD = 3
WRITE_FD = 4
READ_CHUNK = 1 << 16


# DSPy history entries a worker keeps (global, per LM and per module); DSPy's default is 10,000.
WORKER_HISTORY_SIZE = 50


def error_message(call_id: int, exc: BaseException, error_type: str | None = None) -> Message:
    return {
        "k": "error",
        "id": call_id,
        "type": error_type or type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


class Worker:
    def __init__(self, writer: FrameWriter, channel: NodeChannel, threads: int, registry: Registry = REGISTRY) -> None:
        self.writer = writer
        self.channel = channel
        self.registry = registry
        self.max_frame = MAX_FRAME
        self._calls: dict[int, CallContext] = {}
        self._sessions: dict[str, dict[str, Any]] = {}
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="dspex-call")

    def serve(self, fd: int = READ_FD) -> None:
        reader = FrameReader(self.max_frame)
        while True:
            # Small reads between frames: os.read allocates its whole size each time, and a
            # 1 MiB buffer cost about 50 µs a read (bench P3); a large frame gets large reads.
            data = os.read(fd, min(max(READ_CHUNK, reader.wanted()), 1 << 24))
            if not data:
                return  # EOF: Node closed our pipe (close, recycle or death)
            for message in reader.feed(data):
                self.handle(message)

    def handle(self, m: Message) -> None:
        kind = m["k"]
        if kind == "call":
            self._start_call(m)
        elif kind == "credit":
            ctx = self._calls.get(m["id"])
            if ctx is not None:
                ctx.add_credit(int(m.get("n", 1)))
        elif kind == "cancel":
            ctx = self._calls.get(m["id"])
            if ctx is not None:
                ctx.cancel()
                self.channel.cancel_for(ctx)
        elif kind == "cb_result":
            self.channel.resolve(m)
        elif kind == "hb":
            self.writer.send({"k": "hb", "t": m.get("t")})
        elif kind == "session_close":
            self._sessions.pop(str(m["session"]), None)
        else:
            raise ProtocolError(f"unknown message kind {kind!r}")

    def _start_call(self, m: Message) -> None:
        call_id = int(m["id"])
        session_id = m.get("session")
        session = self._sessions.setdefault(str(session_id), {}) if session_id is not None else None
        ctx = CallContext(call_id, str(m["tool"]), self.channel, session, int(m.get("credit", 0)))
        try:
            entry = self.registry.get(ctx.tool)
            check_tool_args(ctx.tool, m.get("args"))
        except LookupError as exc:
            self.writer.send(error_message(call_id, exc, "UnknownTool"))
            return
        except BadArguments as exc:
            self.writer.send(error_message(call_id, exc, "BadArguments"))
            return
        self._calls[call_id] = ctx
        stream = bool(m.get("stream"))
        if entry.inline:
            self._run(entry, ctx, m.get("args"), stream)
        else:
            self._pool.submit(self._run, entry, ctx, m.get("args"), stream)

    def _run(self, entry: Tool, ctx: CallContext, args: Any, stream: bool) -> None:
        token = set_current_call(ctx)
        try:
            if entry.streaming:
                gen = entry.fn(args, ctx)
                try:
                    if stream:
                        while True:
                            ctx.take_credit()
                            try:
                                item = next(gen)
                            except StopIteration:
                                break
                            if not self._send_value("chunk", ctx, item):
                                return
                        self.writer.send({"k": "end", "id": ctx.id})
                        return
                    value: Any = list(gen)
                finally:
                    gen.close()
            else:
                value = entry.fn(args, ctx)
                if stream:
                    ctx.take_credit()
                    if not self._send_value("chunk", ctx, value):
                        return
                    self.writer.send({"k": "end", "id": ctx.id})
                    return
            self._send_value("result", ctx, value)
        except Cancelled as exc:
            self.writer.send(error_message(ctx.id, exc, "Cancelled"))
        except Exception as exc:
            self.writer.send(error_message(ctx.id, exc))
        finally:
            self._calls.pop(ctx.id, None)
            reset_current_call(token)

    def _send_value(self, kind: str, ctx: CallContext, value: Any) -> bool:
        """Send a result or chunk; if it cannot be encoded, send a clear error instead and return False."""
        try:
            frame = encode({"k": kind, "id": ctx.id, "value": value}, self.max_frame)
        except FrameTooLarge as exc:
            self._send_error(ctx, "ResultTooLarge", f"the {kind} of tool {ctx.tool!r} is too large to send: {exc}")
            return False
        except (TypeError, ValueError, OverflowError) as exc:
            self._send_error(
                ctx,
                "UnserializableResult",
                f"the {kind} of tool {ctx.tool!r} cannot be serialised ({exc}); "
                "return dicts, lists, str, int, float, bool, None or bytes",
            )
            return False
        self.writer.write_raw(frame)
        return True

    def _send_error(self, ctx: CallContext, error_type: str, message: str) -> None:
        self.writer.send({"k": "error", "id": ctx.id, "type": error_type, "message": message, "traceback": ""})


class FrameLogHandler(logging.Handler):
    """Sends log records to Node as `log` frames, so they reach Node's logger with the worker id."""

    def __init__(self, writer: FrameWriter, level: int) -> None:
        super().__init__(level)
        self._writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._writer.send(
                {"k": "log", "level": record.levelname.lower(), "logger": record.name, "message": self.format(record)}
            )
        except Exception:
            self.handleError(record)


class _DSPyLoggingEnabled(logging.Filter):
    """Honours dspy.disable_logging(), which silences the stream DSPy's own handler wrote to."""

    def filter(self, record: logging.LogRecord) -> bool:
        from dspy.utils.logging_utils import DSPY_LOGGING_STREAM

        return bool(DSPY_LOGGING_STREAM.enabled)


def route_dspy_logs(writer: FrameWriter) -> None:
    """DSPy logs (INFO and up) through its own stderr handler, and every stderr line reaches Node
    as a warning. Send its records as log frames instead, so each keeps its level and logger."""
    logger = logging.getLogger("dspy")
    for handler in list(logger.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, FrameLogHandler):
            logger.removeHandler(handler)
    handler = FrameLogHandler(writer, logging.NOTSET)
    handler.addFilter(_DSPyLoggingEnabled())
    logger.addHandler(handler)


def load_tools(test_tools: bool, extra: str) -> None:
    from . import tools_builtin  # noqa: F401

    if test_tools:
        from . import tools_testing  # noqa: F401
    for name in filter(None, (part.strip() for part in extra.split(","))):
        importlib.import_module(name)


def main() -> int:
    install_guards()
    env = os.environ
    if env.get("DSPEX_WORKER_FAIL_ON_START"):
        print(f"dspex_worker: failing on start as asked: {env['DSPEX_WORKER_FAIL_ON_START']}", file=sys.stderr)
        return 3
    writer = FrameWriter(WRITE_FD)
    channel = NodeChannel(writer)
    install_channel(channel)
    logging.getLogger().addHandler(FrameLogHandler(writer, logging.WARNING))

    dspy_version: str | None = None
    if env.get("DSPEX_WORKER_SKIP_DSPY") != "1":
        import dspy

        from .lm_proxy import NodeLM

        dspy_version = dspy.__version__
        # Node serves every LM call; a tool can still override with dspy.context(lm=...).
        # Node keeps the history users read (inspectHistory); DSPy's own copies here (10,000
        # entries global, per LM and per module, ~5 KB each) only grew the worker, so keep a few.
        import dspy.clients.base_lm as base_lm

        base_lm.MAX_HISTORY_SIZE = WORKER_HISTORY_SIZE
        dspy.configure(lm=NodeLM(), max_history_size=WORKER_HISTORY_SIZE)
        route_dspy_logs(writer)
    load_tools(env.get("DSPEX_WORKER_TEST_TOOLS") == "1", env.get("DSPEX_WORKER_MODULES", ""))

    worker = Worker(writer, channel, int(env.get("DSPEX_WORKER_THREADS", "4")))
    writer.send(
        {
            "k": "ready",
            "pid": os.getpid(),
            "python": platform.python_version(),
            "dspy": dspy_version,
            "worker": __version__,
            "tools": REGISTRY.names(),
        }
    )
    try:
        worker.serve(READ_FD)
    except ProtocolError as exc:
        print(f"dspex_worker: protocol error from Node, exiting: {exc}", file=sys.stderr)
        _exit(2)
    channel.fail_all("Node closed the channel")
    _exit(0)
    return 0


def _exit(code: int) -> None:
    # os._exit: don't wait for call threads that may be stuck in user code.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
