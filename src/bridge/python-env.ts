/** Where the worker's Python comes from: one resolver shared by the pool, the CLI and the scripts. */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { workerBaseEnv } from "./worker-env.js";

export interface PythonEnv {
  /** The interpreter to run. */
  python: string;
  source: "option" | "DSPEX_PYTHON" | "venv";
  /** Whether the interpreter file exists (a PATH name such as `python3` counts as existing). */
  exists: boolean;
  /** The package root (holds python/ and .venv/). */
  root: string;
  /** Folder holding the dspex_worker package, put on PYTHONPATH so any interpreter finds it. */
  workerPath: string;
}

/** src/bridge/ and dist/bridge/ both sit two levels under the package root. */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

export function venvPython(root = packageRoot()): string {
  return join(root, ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
}

export function resolvePython(options: { python?: string; env?: NodeJS.ProcessEnv } = {}): PythonEnv {
  const env = options.env ?? process.env;
  const root = packageRoot();
  const workerPath = join(root, "python");
  const pick = (python: string, source: PythonEnv["source"]): PythonEnv => ({
    python,
    source,
    exists: !python.includes("/") || existsSync(python),
    root,
    workerPath,
  });
  if (options.python) return pick(options.python, "option");
  if (env.DSPEX_PYTHON) return pick(env.DSPEX_PYTHON, "DSPEX_PYTHON");
  return pick(venvPython(root), "venv");
}

export interface PythonVersions {
  python: string;
  dspy: string | null;
  dspexWorker: boolean;
}

/** Asks the interpreter for its version and DSPy's (slow: imports dspy). Undefined if it cannot run. */
export function probePython(env: PythonEnv): PythonVersions | undefined {
  const script = [
    "import json, platform",
    "out = {'python': platform.python_version(), 'dspy': None, 'dspexWorker': False}",
    "try:\n import dspy; out['dspy'] = dspy.__version__\nexcept Exception: pass",
    "try:\n import dspex_worker; out['dspexWorker'] = True\nexcept Exception: pass",
    "print(json.dumps(out))",
  ].join("\n");
  const r = spawnSync(env.python, ["-c", script], {
    encoding: "utf8",
    env: { ...workerBaseEnv(), PYTHONPATH: joinPythonPath(env.workerPath, process.env.PYTHONPATH) },
    timeout: 60_000,
  });
  if (r.status !== 0 || !r.stdout) return undefined;
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as PythonVersions;
  } catch {
    return undefined;
  }
}

export function joinPythonPath(first: string, rest: string | undefined): string {
  return rest ? `${first}${process.platform === "win32" ? ";" : ":"}${rest}` : first;
}
