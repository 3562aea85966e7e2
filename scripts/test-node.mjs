#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (Node 20's --test takes no globs).
// `--fast` leaves out tests whose names are marked "[slow]" (real model, big pools); CI runs all.
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
const selected = only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o))) : files;
const runnerArgs = ["--import", "tsx", "--test", "--test-concurrency=2"];
if (fast) runnerArgs.push("--test-name-pattern=^(?!.*\\[slow\\])");
const r = spawnSync(process.execPath, [...runnerArgs, ...selected], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
