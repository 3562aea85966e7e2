/**
 * The worker pools' Python: a venv in the DSPex home with the worker package's pinned
 * requirements (DSPy 3.4.1 ...) and the worker package shipped inside this npm package, all
 * from PyPI. A stamp (hash of the pins, the steps and the base interpreter) makes a second
 * run a file read.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinnedRequirements } from "../bridge/python-env.js";
import { homePaths, packageRoot } from "../home.js";
import type { Progress } from "./progress.js";
import { runCommand } from "./run.js";

// Bump when the steps below change, so existing venvs are refreshed.
const STEPS_VERSION = "2";
const STEP = "python venv";

export interface PythonSetupOptions {
  /** The interpreter the venv is made from. Default: $PYTHON, else python3. */
  python?: string;
  /** Also install the test requirements (pytest), for a clone of DSPex. */
  dev?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface PythonSetupResult {
  python: string;
  dspy: string | null;
  skipped: boolean;
}

function stampOf(root: string, base: string, dev: boolean): string {
  return createHash("sha256")
    .update(readFileSync(join(root, "python", "pyproject.toml")))
    .update(`\0${STEPS_VERSION}\0${base}\0${dev ? "dev" : ""}`)
    .digest("hex");
}

export async function setupPython(progress: Progress, options: PythonSetupOptions = {}): Promise<PythonSetupResult> {
  const env = options.env ?? process.env;
  const paths = homePaths(env);
  const root = packageRoot();
  const base = options.python ?? env.PYTHON ?? "python3";
  const dev = options.dev ?? false;
  const stampFile = join(paths.venv, ".dspex-stamp");
  const stamp = stampOf(root, base, dev);
  if (existsSync(paths.python) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === stamp) {
    progress.log(`setup: ${STEP}: up to date (${paths.venv})`);
    return {
      python: paths.python,
      dspy: pinnedRequirements(root).find((r) => r.name === "dspy")?.version ?? null,
      skipped: true,
    };
  }
  const fix = `check that ${base} is Python >= 3.10 with the venv module (or pass --python PATH), and that PyPI is reachable`;
  const step = progress.step(STEP, 4);
  mkdirSync(paths.home, { recursive: true });
  if (!existsSync(paths.python)) {
    step.update(0, `creating ${paths.venv} with ${base}`);
    await runCommand(STEP, base, ["-m", "venv", paths.venv], { fix });
  }
  const pins = pinnedRequirements(root).map((r) => `${r.name}==${r.version}`);
  if (dev) {
    const test = /^test\s*=\s*\[([^\]]*)\]/m.exec(readFileSync(join(root, "python", "pyproject.toml"), "utf8"))?.[1];
    for (const m of (test ?? "").matchAll(/"([^"]+)"/g)) pins.push(m[1]!);
  }
  step.update(1, `pip install ${pins.join(" ")}`);
  const pip = [paths.python, "-m", "pip", "--disable-pip-version-check", "-q"] as const;
  await runCommand(STEP, pip[0], [...pip.slice(1), "install", ...pins], { fix });
  // A copy, so the build never writes into the installed npm package (node_modules/dspex/python).
  step.update(2, "installing the worker package dspex_worker");
  const work = mkdtempSync(join(tmpdir(), "dspex-worker-"));
  try {
    cpSync(join(root, "python", "pyproject.toml"), join(work, "pyproject.toml"));
    cpSync(join(root, "python", "dspex_worker"), join(work, "dspex_worker"), {
      recursive: true,
      filter: (src) => !src.includes("__pycache__"),
    });
    await runCommand(STEP, pip[0], [...pip.slice(1), "install", "--no-deps", "--force-reinstall", work], { fix });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  step.update(3, "checking that dspy and dspex_worker import");
  // Run from / with no PYTHONPATH: the venv alone must have both.
  const out = await runCommand(
    STEP,
    paths.python,
    ["-c", "import dspy, dspex_worker, sys; print(sys.version.split()[0], dspy.__version__)"],
    { cwd: "/", env: { ...env, PYTHONPATH: "" }, fix },
  );
  const [pythonVersion, dspy] = out.trim().split("\n").pop()!.split(" ");
  writeFileSync(stampFile, `${stamp}\n`);
  step.finish(`ready: Python ${pythonVersion}, dspy ${dspy} in ${paths.venv}`);
  return { python: paths.python, dspy: dspy ?? null, skipped: false };
}
