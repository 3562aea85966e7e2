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

// dspy leaves these unpinned, yet parse results and schemas depend on them: json_repair decides how
// broken JSON reads, pydantic how values validate and how schemas print. Pinned to what the
// worker's venv resolves for dspy 3.4.1, and recorded in every fixture file.
const DEPENDENCY_PINS = { json_repair: "0.64.6", pydantic: "2.14.4" };

const venv = join(tmpdir(), `dspex-fixtures-dspy-${pin}`);
const python = join(venv, "bin", "python");
if (!existsSync(python)) {
  console.log(`creating ${venv} with dspy==${pin}`);
  execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  const pins = Object.entries(DEPENDENCY_PINS).map(([name, v]) => `${name}==${v}`);
  execFileSync(python, ["-m", "pip", "install", "-q", `dspy==${pin}`, ...pins], { stdio: "inherit" });
}
const versionOf = (name) =>
  execFileSync(python, ["-c", `import importlib.metadata as m; print(m.version(${JSON.stringify(name)}))`])
    .toString()
    .trim();
const version = versionOf("dspy");
if (version !== pin) throw new Error(`fixture venv has dspy ${version}, expected ${pin}`);
for (const [name, want] of Object.entries(DEPENDENCY_PINS)) {
  const have = versionOf(name);
  if (have !== want)
    throw new Error(`fixture venv ${venv} has ${name} ${have}, expected ${want}: delete it to rebuild`);
}
const header = { dspy: version, ...DEPENDENCY_PINS };

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
    ? `${JSON.stringify(header).slice(0, -1)}, "cases": [\n${doc.map((c) => JSON.stringify(c)).join(",\n")}\n]}\n`
    : `${JSON.stringify({ ...header, cases: doc }, null, 2)}\n`;
  writeFileSync(join(outDir, `${name}.json`), text);
  console.log(`wrote test/fixtures/${name}.json (${doc.length} cases)`);
}
