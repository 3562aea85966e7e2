#!/usr/bin/env node
// Regenerates the golden fixtures in test/fixtures/ from real DSPy. It installs the pinned
// DSPy into a temporary venv (reused across runs) so the fixtures never depend on whatever
// Python happens to be on the machine. Each scripts/fixtures/*.py prints one JSON document.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pyproject = readFileSync(join(root, "python", "pyproject.toml"), "utf8");
const pin = /"dspy==([^"]+)"/.exec(pyproject)?.[1];
if (!pin) throw new Error("python/pyproject.toml must pin dspy exactly (dspy==X.Y.Z)");

const venv = join(tmpdir(), `dspex-fixtures-dspy-${pin}`);
const python = join(venv, "bin", "python");
if (!existsSync(python)) {
  console.log(`creating ${venv} with dspy==${pin}`);
  execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  execFileSync(python, ["-m", "pip", "install", "-q", `dspy==${pin}`], { stdio: "inherit" });
}
const version = execFileSync(python, ["-c", "import dspy; print(dspy.__version__)"]).toString().trim();
if (version !== pin) throw new Error(`fixture venv has dspy ${version}, expected ${pin}`);

const only = process.argv.slice(2);
const COMPACT = new Set(["fuzz"]);
const outDir = join(root, "test", "fixtures");
mkdirSync(outDir, { recursive: true });
for (const file of readdirSync(join(root, "scripts", "fixtures")).filter((f) => f.endsWith(".py"))) {
  const name = file.replace(/\.py$/, "");
  if (only.length > 0 && !only.includes(name)) continue;
  const out = execFileSync(python, [join(root, "scripts", "fixtures", file)], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, PYTHONHASHSEED: "0", DSPY_CACHEDIR: join(venv, "cache") },
  }).toString();
  const doc = JSON.parse(out);
  // The fuzz harness's thousands of cases are written one per line: diffs stay readable, the file small.
  const text = COMPACT.has(name)
    ? `{"dspy": ${JSON.stringify(version)}, "cases": [\n${doc.map((c) => JSON.stringify(c)).join(",\n")}\n]}\n`
    : `${JSON.stringify({ dspy: version, cases: doc }, null, 2)}\n`;
  writeFileSync(join(outDir, `${name}.json`), text);
  console.log(`wrote test/fixtures/${name}.json (${doc.length} cases)`);
}
