"""Which Node run a callback belongs to, and the way back to Node for it.

DSPy evaluates on its own threads, which do not inherit the worker's call context, so every
object that calls Node (program proxy, metric, LM, embedder) carries its run id and goes
through `node()`, which finds the run's CallContext here: callbacks then carry their parent
call, and a cancelled run stops at its next callback in whichever thread it comes.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dspy

from ..channel import call_node
from ..context import CallContext


class RunState:
    def __init__(self, run: str, ctx: CallContext | None) -> None:
        self.run = run
        self.ctx = ctx
        self.lm_calls: Counter[str] = Counter()
        self.program_calls = 0
        self.metric_calls = 0
        self.lock = threading.Lock()


_runs: dict[str, RunState] = {}
_lock = threading.Lock()


@contextmanager
def active(run: str, ctx: CallContext | None) -> Iterator[RunState]:
    state = RunState(run, ctx)
    with _lock:
        _runs[run] = state
    try:
        yield state
    finally:
        with _lock:
            _runs.pop(run, None)


def current(default: str) -> str:
    """The run in DSPy's settings (set per call for kept programs), else the object's own."""
    run = dspy.settings.get("dspex_run")
    return run if isinstance(run, str) else default


def state(run: str) -> RunState | None:
    with _lock:
        return _runs.get(run)


def node(run: str, name: str, args: dict[str, Any]) -> Any:
    entry = state(run)
    payload = {"run": run, **args}
    if entry is not None and entry.ctx is not None:
        return entry.ctx.call_node(name, payload)
    return call_node(name, payload)


def count(run: str, what: str, role: str | None = None) -> None:
    entry = state(run)
    if entry is None:
        return
    with entry.lock:
        if what == "lm" and role is not None:
            entry.lm_calls[role] += 1
        elif what == "program":
            entry.program_calls += 1
        elif what == "metric":
            entry.metric_calls += 1
