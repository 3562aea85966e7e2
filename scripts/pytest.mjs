#!/usr/bin/env node
// Runs the worker's pytest suite (python/tests) with the project's interpreter.
// pytest's exit 5 ("no tests collected") is a failure here: the suite must exist and run.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testsDir = join(root, "python", "tests");
const venvPython = join(root, ".venv", process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
const python = process.env.DSPEX_PYTHON || venvPython;

if (!process.env.DSPEX_PYTHON && !existsSync(venvPython)) {
  console.log("pytest: no .venv yet; running scripts/setup-python.mjs first");
  const setup = spawnSync(process.execPath, [join(root, "scripts", "setup-python.mjs")], { stdio: "inherit" });
  if (setup.status !== 0) process.exit(setup.status ?? 1);
}

const testFiles = existsSync(testsDir) ? readdirSync(testsDir).filter((f) => /^test_.*\.py$/.test(f)) : [];
if (testFiles.length === 0) {
  console.error(`pytest: no test files in ${testsDir}; the worker's Python tests must exist`);
  process.exit(1);
}

const r = spawnSync(python, ["-m", "pytest", "-q", testsDir, ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: join(root, "python"),
});
if (r.error) {
  console.error(`pytest: cannot run ${python}: ${r.error.message}`);
  process.exit(1);
}
if (r.status === 5) {
  console.error(`pytest: collected no tests although ${testFiles.length} test files exist`);
  process.exit(1);
}
process.exit(r.status ?? 1);
