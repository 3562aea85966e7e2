#!/usr/bin/env node
// Creates the project venv (.venv) from PyPI and installs the worker package into it.
// Idempotent: a stamp holding the hash of python/pyproject.toml makes a second run a no-op.
// DSPEX_PYTHON names another interpreter; then no venv is made and we only check it.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const venv = join(root, ".venv");
const venvPython = join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
const pyproject = join(root, "python", "pyproject.toml");
const stampFile = join(venv, ".dspex-stamp");
// Bump when the install steps below change, so existing venvs are refreshed.
const STEPS_VERSION = "1";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    console.error(`setup-python: \`${cmd} ${args.join(" ")}\` exited with ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

function check(python) {
  const r = spawnSync(python, ["-c", "import dspy, sys; print(sys.version.split()[0], dspy.__version__)"], {
    encoding: "utf8",
  });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

if (process.env.DSPEX_PYTHON) {
  const python = process.env.DSPEX_PYTHON;
  const versions = check(python);
  if (!versions) {
    console.error(
      `setup-python: DSPEX_PYTHON=${python} cannot import dspy. Install it there: ${python} -m pip install -e python/`,
    );
    process.exit(1);
  }
  console.log(`setup-python: using DSPEX_PYTHON=${python} (python, dspy: ${versions}); no venv made`);
  process.exit(0);
}

const hash = createHash("sha256").update(readFileSync(pyproject)).update(STEPS_VERSION).digest("hex");
if (existsSync(venvPython) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === hash) {
  console.log("setup-python: .venv is up to date");
  process.exit(0);
}

const base = process.env.PYTHON ?? "python3";
if (!existsSync(venvPython)) {
  console.log(`setup-python: creating ${venv} with ${base}`);
  run(base, ["-m", "venv", venv]);
}
run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", `${join(root, "python")}[test]`]);
const versions = check(venvPython);
if (!versions) {
  console.error("setup-python: dspy does not import in the new venv");
  process.exit(1);
}
writeFileSync(stampFile, hash + "\n");
console.log(`setup-python: ready (python, dspy: ${versions})`);
