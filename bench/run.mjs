#!/usr/bin/env node
// Builds src/ and bench/ with tsc into .bench-build/ and runs bench/all there, so that what is
// timed is the compiled JavaScript users run, not an on-the-fly transform. The Python side
// (venv, worker package, models, the .py baselines) is linked in beside it.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".bench-build");
rmSync(out, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(root, "tsconfig.json"),
    "--outDir",
    out,
    "--noEmit",
    "false",
    "--declaration",
    "false",
    "--sourceMap",
    "false",
  ],
  { stdio: "inherit" },
);
for (const link of [".venv", "python", ".dspex", "examples"]) {
  if (existsSync(join(root, link)) && !existsSync(join(out, link))) symlinkSync(join(root, link), join(out, link));
}
// What `import("dspex")` loads is the bundled dist (npm run build bundles tsc's output; see
// scripts/bundle.mjs): the same bundling of this build, for P12.
cpSync(join(out, "src"), join(out, "dist"), { recursive: true });
execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs"), join(out, "dist")], { stdio: "inherit" });
mkdirSync(join(out, "bench"), { recursive: true });
for (const f of readdirSync(join(root, "bench")).filter((f) => f.endsWith(".py"))) {
  cpSync(join(root, "bench", f), join(out, "bench", f));
}
const r = spawnSync(process.execPath, [join(out, "bench", "all.js"), ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
