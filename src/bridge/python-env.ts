/** Where the worker's Python comes from: one resolver shared by the pool, the CLI and the scripts. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { homePaths, packageRoot } from "../home.js";
import { PoolFailedError } from "./errors.js";
import { workerBaseEnv } from "./worker-env.js";

export { packageRoot };

export interface PythonEnv {
  /** The interpreter to run. */
  python: string;
  source: "option" | "DSPEX_PYTHON" | "venv";
  /** Whether the interpreter file exists (a PATH name such as `python3` counts as existing). */
  exists: boolean;
  /** The package root (holds python/, the worker package). */
  root: string;
  /** Folder holding the dspex_worker package, put on PYTHONPATH so any interpreter finds it. */
  workerPath: string;
}

/** The interpreter of the venv `dspex setup` creates in the DSPex home. */
export function venvPython(env: NodeJS.ProcessEnv = process.env): string {
  return homePaths(env).python;
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
  return pick(venvPython(env), "venv");
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

/** `name==version` pins of the worker package (python/pyproject.toml), the one list set-up installs. */
export function pinnedRequirements(root = packageRoot()): { name: string; version: string }[] {
  const text = readFileSync(join(root, "python", "pyproject.toml"), "utf8");
  const block = /^dependencies\s*=\s*\[([\s\S]*?)^\]/m.exec(text)?.[1] ?? "";
  return [...block.matchAll(/^\s*"([A-Za-z0-9_.-]+)==([^"]+)"/gm)].map((m) => ({ name: m[1]!, version: m[2]! }));
}

/** The interpreter runs but lacks what the workers import; raised before any worker starts. */
export class PythonEnvError extends PoolFailedError {
  readonly python: string;
  /** Requirements missing or at another version, as `name==pinned`. */
  readonly missing: string[];
  constructor(pool: string, env: PythonEnv, missing: string[], found: string) {
    const pip = `${env.python} -m pip install ${missing.map((m) => `"${m}"`).join(" ")}`;
    super(pool, `${env.python} (${env.source}) cannot run the workers: ${found}`, {
      fix:
        env.source === "venv"
          ? "run `npx dspex setup` (it creates the venv with the pinned DSPy)"
          : `run \`${pip}\`, or unset DSPEX_PYTHON and run \`npx dspex setup\``,
    });
    this.python = env.python;
    this.missing = missing;
  }
}

const CHECK_SCRIPT = [
  "import importlib.metadata as md, importlib.util as u, json, sys",
  "out = {}",
  "for spec in sys.argv[1:]:",
  "    dist, _, mod = spec.partition(':')",
  "    try:",
  "        out[dist] = md.version(dist) if u.find_spec(mod) else None",
  "    except Exception:",
  "        out[dist] = '' if u.find_spec(mod) else None",
  "print(json.dumps(out))",
].join("\n");

const checked = new Map<string, Promise<void>>();

/**
 * Checks, without importing them, that the interpreter has every pinned requirement (dspy only
 * when the workers import it) and the worker package. A missing part fails once, with the fix,
 * instead of workers crash-looping on ImportError. An interpreter that cannot start at all is
 * left to the pool, which reports that itself. Cached per interpreter and PYTHONPATH.
 */
export function checkInterpreter(
  pool: string,
  env: PythonEnv,
  options: { dspy: boolean; pythonPath: string | undefined },
): Promise<void> {
  const wanted = pinnedRequirements(env.root).filter((r) => options.dspy || r.name !== "dspy");
  const key = `${env.python}\0${options.pythonPath ?? ""}\0${wanted.map((r) => r.name).join(",")}`;
  let promise = checked.get(key);
  if (promise === undefined) {
    promise = runCheck(pool, env, wanted, options.pythonPath);
    checked.set(key, promise);
    promise.catch(() => checked.delete(key));
  }
  return promise;
}

function runCheck(
  pool: string,
  env: PythonEnv,
  wanted: { name: string; version: string }[],
  pythonPath: string | undefined,
): Promise<void> {
  const specs = [...wanted.map((r) => `${r.name}:${r.name.replace(/-/g, "_")}`), "dspex_worker:dspex_worker"];
  return new Promise((resolve, reject) => {
    const child = spawn(env.python, ["-c", CHECK_SCRIPT, ...specs], {
      env: { ...workerBaseEnv(), PYTHONPATH: pythonPath ?? "" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.on("error", () => resolve()); // cannot start: the pool says so with its own error
    child.on("close", (code) => {
      let found: Record<string, string | null>;
      try {
        found = JSON.parse(out.trim().split("\n").pop() ?? "") as Record<string, string | null>;
      } catch {
        if (code !== 0)
          resolve(); // not a Python we can ask; the workers' own failure will tell
        else
          reject(
            new PythonEnvError(
              pool,
              env,
              wanted.map((r) => `${r.name}==${r.version}`),
              "it gave no answer",
            ),
          );
        return;
      }
      const problems: string[] = [];
      const missing: string[] = [];
      for (const r of wanted) {
        const have = found[r.name];
        if (have === null || have === undefined) problems.push(`${r.name} is missing`);
        else if (have !== "" && have !== r.version) problems.push(`${r.name} is ${have}, ${r.version} is pinned`);
        else continue;
        missing.push(`${r.name}==${r.version}`);
      }
      if (found.dspex_worker === null)
        problems.push(`the worker package dspex_worker does not import from ${env.workerPath}`);
      if (problems.length === 0) resolve();
      else reject(new PythonEnvError(pool, env, missing, problems.join("; ")));
    });
  });
}
