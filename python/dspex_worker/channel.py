"""Python -> Node calls ("callbacks"): the worker asks Node to run a named, allowlisted function."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from .protocol import FrameWriter

if TYPE_CHECKING:
    from .context import CallContext


class NodeCallbackError(Exception):
    """Node answered a callback with an error (unknown name, or the Node function threw)."""

    def __init__(self, name: str, error_type: str, message: str) -> None:
        super().__init__(f"Node callback {name!r} failed: {error_type}: {message}")
        self.callback = name
        self.error_type = error_type
        self.node_message = message


class NoNodeChannel(RuntimeError):
    """call_node was used outside a worker (no channel to Node)."""


class NodeChannel:
    def __init__(self, writer: FrameWriter) -> None:
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, Future[Any], CallContext | None]] = {}
        self._lock = threading.Lock()

    @property
    def writer(self) -> FrameWriter:
        return self._writer

    def call(self, name: str, args: Any = None, parent: CallContext | None = None, timeout: float | None = None) -> Any:
        if parent is not None:
            parent.check_cancelled()
        cb_id = next(self._ids)
        fut: Future[Any] = Future()
        with self._lock:
            self._pending[cb_id] = (name, fut, parent)
        try:
            self._writer.send(
                {"k": "cb_call", "id": cb_id, "name": name, "args": args, "parent": parent.id if parent else None}
            )
            return fut.result(timeout)
        except FutureTimeout:
            raise TimeoutError(f"Node callback {name!r} did not answer within {timeout} s") from None
        finally:
            with self._lock:
                self._pending.pop(cb_id, None)

    def resolve(self, message: dict[str, Any]) -> None:
        with self._lock:
            entry = self._pending.get(message["id"])
        if entry is None:
            return
        name, fut, _ = entry
        # The call may have been cancelled (cancel_for failed its future) before Node's answer came.
        if fut.done():
            return
        if message.get("ok"):
            fut.set_result(message.get("value"))
        else:
            err = message.get("error") or {}
            fut.set_exception(NodeCallbackError(name, str(err.get("type", "Error")), str(err.get("message", ""))))

    def cancel_for(self, ctx: CallContext) -> None:
        """Wake callbacks waiting on behalf of a cancelled call."""
        from .context import Cancelled

        with self._lock:
            waiting = [fut for (_, fut, parent) in self._pending.values() if parent is ctx]
        for fut in waiting:
            if not fut.done():
                fut.set_exception(Cancelled(f"call {ctx.id} was cancelled while waiting on Node"))

    def fail_all(self, reason: str) -> None:
        with self._lock:
            waiting = [fut for (_, fut, _) in self._pending.values()]
        for fut in waiting:
            if not fut.done():
                fut.set_exception(ConnectionError(reason))


_channel: NodeChannel | None = None


def install_channel(channel: NodeChannel | None) -> None:
    global _channel
    _channel = channel


def call_node(name: str, args: Any = None, timeout: float | None = None) -> Any:
    """Call a function Node registered under `name`, on behalf of the current call if there is one."""
    from .context import current_call

    ctx = current_call()
    if ctx is not None:
        return ctx.call_node(name, args, timeout)
    if _channel is None:
        raise NoNodeChannel("call_node needs a running dspex worker (no channel to Node)")
    return _channel.call(name, args, timeout=timeout)
