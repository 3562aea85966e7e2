#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (Node 20's --test takes no globs).
// `--fast` leaves out the slow files (the real embedded model, optimizer runs); CI runs all.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts")) files.push(relative(root, path));
  }
};
walk(join(root, "test"));
const args = process.argv.slice(2);
const fast = args.includes("--fast");
const only = args.filter((a) => !a.startsWith("--"));
// Node 20 has no --test-skip-pattern, so slowness is marked per file.
const SLOW = [
  "test/bridge/chaos.test.ts",
  "test/lm/local.test.ts",
  "test/lm/local-chat-model.test.ts",
  "test/lm/local-runtime.test.ts",
  "test/optimize/",
  "test/scale/optimize.test.ts",
  "test/retrieve/embedder.test.ts",
  // The real embedding model and throwaway PostgreSQL clusters.
  "test/retrieve/backends.test.ts",
  "test/examples/",
  "test/modules/python/",
  // pip/npm downloads and builds of the package: set-up steps, the README typecheck, the consumer flow.
  "test/setup/",
  "test/readme.test.ts",
  "test/package/",
];
const picked = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const selected = fast ? picked.filter((f) => !SLOW.some((s) => f.startsWith(s))) : picked;
const runnerArgs = ["--import", "tsx", "--test", "--test-concurrency=2"];
const r = spawnSync(process.execPath, [...runnerArgs, ...selected], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
