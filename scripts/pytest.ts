#!/usr/bin/env node
// Runs the worker's pytest suite (python/tests) with the interpreter the pools use (the DSPex
// home's venv, or DSPEX_PYTHON), the worker package taken from this checkout's python/.
// pytest's exit 5 ("no tests collected") is a failure here: the suite must exist and run.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { joinPythonPath, packageRoot, resolvePython } from "../src/bridge/python-env.js";

const root = packageRoot();
const testsDir = join(root, "python", "tests");
const env = resolvePython();

if (!env.exists) {
  console.error(`pytest: no interpreter at ${env.python} (${env.source}); run \`npm run setup\` first`);
  process.exit(1);
}
const testFiles = existsSync(testsDir) ? readdirSync(testsDir).filter((f) => /^test_.*\.py$/.test(f)) : [];
if (testFiles.length === 0) {
  console.error(`pytest: no test files in ${testsDir}; the worker's Python tests must exist`);
  process.exit(1);
}

const r = spawnSync(env.python, ["-m", "pytest", "-q", testsDir, ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: join(root, "python"),
  // This checkout's worker package, not the copy set-up installed into the venv.
  env: { ...process.env, PYTHONPATH: joinPythonPath(env.workerPath, process.env.PYTHONPATH) },
});
if (r.error) {
  console.error(`pytest: cannot run ${env.python}: ${r.error.message}`);
  process.exit(1);
}
if (r.status === 5) {
  console.error(`pytest: collected no tests although ${testFiles.length} test files exist`);
  process.exit(1);
}
process.exit(r.status ?? 1);
