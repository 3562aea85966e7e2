#!/usr/bin/env node
// The project's one set-up step after `npm install`: the Python venv with pinned DSPy for
// the worker pools. Each step is idempotent and returns at once when already done.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const started = Date.now();
execFileSync(process.execPath, [join(root, "scripts", "setup-python.mjs")], { stdio: "inherit", cwd: root });
console.log(`setup: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
