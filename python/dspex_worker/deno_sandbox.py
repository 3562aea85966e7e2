"""DSPy's sandboxed interpreter (Deno + Pyodide) started with the Deno binary Node found.

The command is DSPy's default one (same runner.js, same read-only permissions, no env, no
network, no writes) plus an import map that serves runner.js's single deno.land/std import
from this package. There is no fallback: without Deno, code is never executed.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from dspy.primitives.code_interpreter import CodeInterpreterError
from dspy.primitives.python_interpreter import PythonInterpreter, _jsonrpc_notification

DEFAULT_TIME_LIMIT_S = 30.0
DEFAULT_MEMORY_LIMIT_MB = 1024
_POLL_S = 0.05
_SHUTDOWN_GRACE_S = 2.0

_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox")


class SandboxUnavailable(RuntimeError):
    """No usable Deno binary: generated code cannot run, and it is never run outside the sandbox."""


class SandboxLimitExceeded(CodeInterpreterError):
    """The generated code ran past its time or memory limit; only the sandbox process was killed."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class SandboxExited(CodeInterpreterError):
    """The sandbox process ended while running the generated code (the code called Deno.exit, or it crashed)."""


def deno_command(deno: str) -> list[str]:
    if not deno or not os.path.isfile(deno) or not os.access(deno, os.X_OK):
        raise SandboxUnavailable(
            f"Deno binary {deno!r} is missing or not executable; ProgramOfThought needs DSPy's Deno sandbox"
        )
    runner = os.path.realpath(PythonInterpreter._get_runner_path(None))  # type: ignore[arg-type]
    deno_dir = os.environ.get("DENO_DIR") or PythonInterpreter._query_deno_dir(deno)
    shim = os.path.realpath(_HERE)
    read = [runner, shim, *([os.path.realpath(deno_dir)] if deno_dir else [])]
    command = [
        deno,
        "run",
        "--no-config",
        "--no-lock",
        "--node-modules-dir=false",
        f"--import-map={os.path.join(shim, 'import_map.json')}",
        f"--allow-read={','.join(read)}",
        runner,
        "",  # runner.js reads its allowed env names from this argument: none
    ]
    if deno_dir:
        command.append(f"--dspy-deno-dir={os.path.realpath(deno_dir)}")
    return command


class LimitedInterpreter(PythonInterpreter):
    """DSPy's interpreter with a time and a memory limit per execution, enforced by killing the Deno process.

    A watchdog thread polls the sandbox's resident memory and the elapsed time while code runs;
    past either limit it SIGKILLs Deno, which takes any Web Workers the code started with it, and
    the worker process (and its other calls) carry on. Memory is sampled every 50 ms, so a fast
    allocation can pass the limit by what it allocates in that time before it is stopped.
    """

    def __init__(self, *, deno_command: list[str], time_limit_s: float, memory_limit_mb: int) -> None:
        super().__init__(deno_command=deno_command)
        self.time_limit_s = time_limit_s
        self.memory_limit_mb = memory_limit_mb
        self._tripped: tuple[str, str] | None = None

    def execute(self, code: str, variables: dict[str, Any] | None = None) -> Any:
        self._tripped = None
        # Start Deno and Pyodide first (seconds on a busy machine): the limits are for the code.
        self._ensure_deno_process()
        proc = self.deno_process
        done = threading.Event()
        watchdog = threading.Thread(target=self._watch, args=(done, time.monotonic()), daemon=True)
        watchdog.start()
        try:
            return super().execute(code, variables)
        except CodeInterpreterError as exc:
            if self._tripped is not None:
                limit, message = self._tripped
                raise SandboxLimitExceeded(message, limit) from exc
            # DSPy says "Deno exited (code N)" or, when it reads EOF before the exit is reaped,
            # "No response"; either way the process is gone (DSPy reaped it) and has a code.
            exited = re.search(r"Deno (?:process )?exited \(code (-?\d+)\)", str(exc))
            if exited or (proc is not None and proc.returncode is not None and "No response" in str(exc)):
                code_text = exited.group(1) if exited else str(proc.returncode if proc else "?")
                raise SandboxExited(
                    f"the sandbox process exited with code {code_text} while running the generated code"
                ) from exc
            raise
        finally:
            done.set()
            watchdog.join()

    def _watch(self, done: threading.Event, started: float) -> None:
        while not done.wait(_POLL_S):
            proc = self.deno_process
            if proc is None or proc.poll() is not None:
                continue
            elapsed = time.monotonic() - started
            if elapsed > self.time_limit_s:
                self._trip(proc, "time", f"the generated code ran past its time limit of {self.time_limit_s:g} s")
                return
            rss = _rss_mb(proc.pid)
            if rss is not None and rss > self.memory_limit_mb:
                self._trip(
                    proc,
                    "memory",
                    f"the generated code used {rss:.0f} MiB, over its memory limit of {self.memory_limit_mb} MiB",
                )
                return

    def _trip(self, proc: subprocess.Popen[str], limit: str, message: str) -> None:
        self._tripped = (limit, message)
        try:
            proc.kill()
        except ProcessLookupError:
            pass

    def shutdown(self) -> None:
        # DSPy's shutdown waits for Deno without a limit, and a Web Worker started by the code keeps
        # Deno alive: ask it to stop, give it a moment, then kill it.
        proc = self.deno_process
        if proc is not None and proc.poll() is None and not self._session_ended:
            try:
                assert proc.stdin is not None
                proc.stdin.write(_jsonrpc_notification("shutdown") + "\n")
                proc.stdin.flush()
                proc.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                proc.wait(timeout=_SHUTDOWN_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        elif proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        super().shutdown()


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def interpreter_factory(
    deno: str,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> Callable[[], PythonInterpreter]:
    command = deno_command(deno)
    # V8's own heap stops at the memory limit too; array buffers and Wasm memory are outside it,
    # which is what the watchdog is for.
    command.insert(2, f"--v8-flags=--max-old-space-size={int(memory_limit_mb)}")
    return lambda: LimitedInterpreter(
        deno_command=command, time_limit_s=time_limit_s, memory_limit_mb=memory_limit_mb
    )
