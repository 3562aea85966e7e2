"""Python -> Node calls ("callbacks"): the worker asks Node to run a named, allowlisted function."""

from __future__ import annotations

import _thread
import itertools
from typing import TYPE_CHECKING, Any

from .context import Cancelled, current_call
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


class _Waiter:
    """One callback awaiting Node's answer. The hand-off is a bare lock, held from creation and
    released once by whoever settles it (the reader thread, a cancel, a closed channel): the
    waiting thread wakes straight from that release. concurrent.futures.Future costs a Condition
    per wait and a second lock round after the wake (bench P3)."""

    __slots__ = ("name", "parent", "lock", "value", "error")

    def __init__(self, name: str, parent: CallContext | None) -> None:
        self.name = name
        self.parent = parent
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.value: Any = None
        self.error: BaseException | None = None


class NodeChannel:
    def __init__(self, writer: FrameWriter) -> None:
        self._writer = writer
        self._ids = itertools.count(1)
        # dict get/setdefault/pop are atomic under the GIL: settling needs no lock of its own
        # (pop decides who settles a waiter, so it is settled at most once).
        self._pending: dict[int, _Waiter] = {}

    @property
    def writer(self) -> FrameWriter:
        return self._writer

    def call(self, name: str, args: Any = None, parent: CallContext | None = None, timeout: float | None = None) -> Any:
        if parent is not None:
            parent.check_cancelled()
        cb_id = next(self._ids)
        waiter = _Waiter(name, parent)
        self._pending[cb_id] = waiter
        try:
            self._writer.send(
                {"k": "cb_call", "id": cb_id, "name": name, "args": args, "parent": parent.id if parent else None}
            )
            if not waiter.lock.acquire(True, -1 if timeout is None else max(0.0, timeout)):
                if self._pending.pop(cb_id, None) is not None:
                    raise TimeoutError(f"Node callback {name!r} did not answer within {timeout} s")
                waiter.lock.acquire()  # settled just now: its release is on the way
        finally:
            self._pending.pop(cb_id, None)
        if waiter.error is not None:
            raise waiter.error
        return waiter.value

    def _settle(self, cb_id: int, value: Any = None, error: BaseException | None = None) -> None:
        waiter = self._pending.pop(cb_id, None)
        if waiter is None:
            return  # answered already, cancelled, or timed out
        waiter.value = value
        waiter.error = error
        waiter.lock.release()

    def resolve(self, message: dict[str, Any]) -> None:
        cb_id = message["id"]
        if message.get("ok"):
            self._settle(cb_id, message.get("value"))
            return
        waiter = self._pending.get(cb_id)
        if waiter is None:
            return
        err = message.get("error") or {}
        error = NodeCallbackError(waiter.name, str(err.get("type", "Error")), str(err.get("message", "")))
        self._settle(cb_id, error=error)

    def cancel_for(self, ctx: CallContext) -> None:
        """Wake callbacks waiting on behalf of a cancelled call."""
        for cb_id, waiter in list(self._pending.items()):
            if waiter.parent is ctx:
                self._settle(cb_id, error=Cancelled(f"call {ctx.id} was cancelled while waiting on Node"))

    def fail_all(self, reason: str) -> None:
        for cb_id in list(self._pending):
            self._settle(cb_id, error=ConnectionError(reason))


_channel: NodeChannel | None = None


def install_channel(channel: NodeChannel | None) -> None:
    global _channel
    _channel = channel


def call_node(name: str, args: Any = None, timeout: float | None = None) -> Any:
    """Call a function Node registered under `name`, on behalf of the current call if there is one."""
    ctx = current_call()
    if ctx is not None:
        return ctx.call_node(name, args, timeout)
    if _channel is None:
        raise NoNodeChannel("call_node needs a running dspex worker (no channel to Node)")
    return _channel.call(name, args, timeout=timeout)
