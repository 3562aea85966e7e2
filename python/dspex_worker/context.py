"""Per-call state a tool sees: cancellation, stream credit, its session and the way back to Node."""

from __future__ import annotations

import contextvars
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .channel import NodeChannel


class Cancelled(Exception):
    """Raised inside a tool when Node cancelled the call (deadline, abort or a stream left early)."""


class CallContext:
    def __init__(
        self,
        call_id: int,
        tool: str,
        channel: NodeChannel,
        session: dict[str, Any] | None = None,
        credit: int = 0,
    ) -> None:
        self.id = call_id
        self.tool = tool
        self.channel = channel
        # Per-session dict shared by every call of that session (pinned to this worker).
        self.session = session
        self._cancelled = threading.Event()
        self._credit = credit
        self._cond = threading.Condition()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        with self._cond:
            self._cancelled.set()
            self._cond.notify_all()

    def check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled(f"call {self.id} ({self.tool}) was cancelled")

    def wait(self, seconds: float) -> None:
        """Sleep that wakes early on cancel; tools that wait should use it."""
        if self._cancelled.wait(seconds):
            self.check_cancelled()

    def add_credit(self, n: int) -> None:
        with self._cond:
            self._credit += n
            self._cond.notify_all()

    def take_credit(self) -> None:
        """Block until Node has room for one more chunk: this is what pauses a generator."""
        with self._cond:
            while self._credit <= 0 and not self._cancelled.is_set():
                self._cond.wait()
            self.check_cancelled()
            self._credit -= 1

    def call_node(self, name: str, args: Any = None, timeout: float | None = None) -> Any:
        return self.channel.call(name, args, parent=self, timeout=timeout)


_current: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar("dspex_call", default=None)


def current_call() -> CallContext | None:
    return _current.get()


def set_current_call(ctx: CallContext | None) -> contextvars.Token[CallContext | None]:
    return _current.set(ctx)


def reset_current_call(token: contextvars.Token[CallContext | None]) -> None:
    _current.reset(token)
