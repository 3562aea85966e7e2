"""Progress of a run, sent to Node as it happens.

Two sources, because DSPy's optimizers share no progress API: every Evaluate that finishes
(a DSPy callback) counts as a trial and may raise the best score; and the optimizers' own
log lines ("Trial 3 / 20", "Starting batch 2 of 8", "Iteration 4") give the trial numbering
where they have one. Log records are attributed to the run through DSPy's settings, which
DSPy copies into its worker threads.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dspy
from dspy.utils.callback import BaseCallback

from . import runs

PROGRESS_CALLBACK = "optimize.progress"
_OF = re.compile(r"(?:trial|batch|iteration|round|step)\D{0,3}(\d+)\s*(?:/|of)\s*(\d+)", re.IGNORECASE)
_ITERATION = re.compile(r"^Iteration (\d+):")


def _score(value: Any) -> float | None:
    score = getattr(value, "score", value)
    try:
        return float(score)
    except (TypeError, ValueError):
        return None


class Progress(BaseCallback):
    def __init__(self, run: str) -> None:
        self.run = run
        self.evaluations = 0
        self.trial: int | None = None
        self.total: int | None = None
        self.best: float | None = None
        self._lock = threading.Lock()

    def send(self, message: str, score: float | None = None) -> None:
        event: dict[str, Any] = {"message": message}
        with self._lock:
            if score is not None and (self.best is None or score > self.best):
                self.best = score
            event["trial"] = self.trial if self.trial is not None else self.evaluations
            if self.total is not None:
                event["total"] = self.total
            if self.best is not None:
                event["bestScore"] = self.best
            if score is not None:
                event["score"] = score
        try:
            runs.node(self.run, PROGRESS_CALLBACK, event)
        except Exception:
            # Progress is advisory; a cancelled run fails at its next real callback instead.
            pass

    def on_evaluate_end(self, call_id: str, outputs: Any | None, exception: Exception | None = None) -> None:
        if exception is not None or outputs is None:
            return
        with self._lock:
            self.evaluations += 1
        score = _score(outputs)
        self.send(f"evaluation {self.evaluations}: {score}", score)

    def on_log(self, message: str) -> None:
        match = _OF.search(message)
        if match:
            with self._lock:
                self.trial, self.total = int(match.group(1)), int(match.group(2))
        else:
            it = _ITERATION.match(message)
            if it:
                with self._lock:
                    self.trial = int(it.group(1))
        self.send(message)


class _Handler(logging.Handler):
    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        if dspy.settings.get("dspex_run") != self.progress.run:
            return
        try:
            message = record.getMessage().strip()
        except Exception:
            return
        line = message.splitlines()[0][:500] if message else ""
        # Rulers ("=====") and blank lines carry nothing.
        if re.search(r"\w", line):
            self.progress.on_log(line)


@contextmanager
def logging_to(progress: Progress) -> Iterator[None]:
    handler = _Handler(progress)
    loggers = [logging.getLogger("dspy"), logging.getLogger("gepa")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        if lg.level == logging.NOTSET or lg.level > logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(level)
