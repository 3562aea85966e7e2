"""DSPy's sandboxed interpreter (Deno + Pyodide) started with the Deno binary Node found.

The command is DSPy's default one (same runner.js, same read-only permissions, no env, no
network, no writes) plus an import map that serves runner.js's single deno.land/std import
from this package. There is no fallback: without Deno, code is never executed.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from dspy.primitives.python_interpreter import PythonInterpreter

_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox")


class SandboxUnavailable(RuntimeError):
    """No usable Deno binary: generated code cannot run, and it is never run outside the sandbox."""


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


def interpreter_factory(deno: str) -> Callable[[], PythonInterpreter]:
    command = deno_command(deno)
    return lambda: PythonInterpreter(deno_command=command)
