/**
 * DSPex as a package consumer gets it: `npm pack`, the tarball installed into a fresh project
 * from the npm registry only, `npx dspex setup` into a fresh DSPEX_HOME (the real venv, models
 * and runtimes; pip's and npm's download caches are reused), then programs run from another
 * directory: a Predict on a loopback OpenAI server, a DSPy optimizer in the Python pool, a
 * Predict on the embedded default, `npx dspex run` of .ts/.mts/.js/.mjs files, require(), and
 * a missing optional part. Slow (minutes): marked so in scripts/test-node.mjs.
 */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_LM } from "../../src/models.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

const root = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "dspex-consumer-"));
const app = join(work, "app");
const elsewhere = join(work, "elsewhere");
const home = join(work, "home");
const figures: Record<string, string> = {};
let server: Loopback;

// No DSPEX_PYTHON/MODEL/EMBEDDER from the clone's environment: the consumer has only the home.
const env: NodeJS.ProcessEnv = { ...process.env, DSPEX_HOME: home, DSPEX_CACHE_DIR: join(work, "cache") };
for (const k of ["DSPEX_PYTHON", "DSPEX_MODEL", "DSPEX_EMBEDDER", "PYTHONPATH", "NODE_OPTIONS"]) delete env[k];

function run(cmd: string, args: string[], cwd: string, timeoutMin = 15): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutMin * 60_000, maxBuffer: 64 << 20 });
}

/** For children that talk to the loopback server in this process: spawnSync would block its replies. */
function runAsync(cmd: string, args: string[], cwd: string, timeoutMin = 15): Promise<SpawnSyncReturns<string>> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, timeout: timeoutMin * 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("close", (status, signal) =>
      resolve({ pid: child.pid ?? 0, output: [null, stdout, stderr], stdout, stderr, status, signal }),
    );
  });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function timed<T>(name: string, fn: () => T): T {
  const t = Date.now();
  const out = fn();
  figures[name] = `${((Date.now() - t) / 1000).toFixed(1)} s`;
  return out;
}

function du(path: string): number {
  let total = 0;
  for (const name of readdirSync(path)) {
    const p = join(path, name);
    const s = lstatSync(p, { throwIfNoEntry: false }); // a venv's lib64 -> lib link counts once
    if (s === undefined) continue;
    total += s.isDirectory() ? du(p) : s.isFile() ? s.size : 0;
  }
  return total;
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

const CHAT_REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";

before(async () => {
  mkdirSync(app);
  mkdirSync(elsewhere);
  server = await start({ fallback: { kind: "completion", outputs: CHAT_REPLY } });
  env.LOOPBACK_URL = server.url;
});

after(async () => {
  await server?.close();
  console.log(`consumer figures: ${JSON.stringify(figures)}`);
  rmSync(work, { recursive: true, force: true });
});

describe("package consumer", { timeout: 40 * 60_000 }, () => {
  let tarball = "";

  it("packs: dist with source maps carrying sourcesContent, LICENSE, the worker package; built by prepack", () => {
    const out = ok(run("npm", ["pack", "--json", "--pack-destination", work], root), "npm pack");
    const [info] = JSON.parse(out.slice(out.indexOf("["))) as {
      filename: string;
      size: number;
      unpackedSize: number;
      files: { path: string }[];
    }[];
    tarball = join(work, info!.filename);
    figures.tarball = `${mb(info!.size)} (unpacked ${mb(info!.unpackedSize)}, ${info!.files.length} files)`;
    const paths = new Set(info!.files.map((f) => f.path));
    for (const p of ["LICENSE", "dist/index.js", "dist/index.d.ts", "dist/index.js.map", "dist/cli/main.js"]) {
      assert.ok(paths.has(p), `${p} in the tarball`);
    }
    assert.ok(paths.has("python/dspex_worker/__main__.py") && paths.has("python/pyproject.toml"));
    assert.ok(![...paths].some((p) => p.startsWith("src/") || p.startsWith("test/")), "no sources or tests shipped");
  });

  it("installs into a fresh project from the registry, with no optional native part", () => {
    // As `npm init -y` writes it: a CommonJS project.
    writeFileSync(
      join(app, "package.json"),
      '{"name": "app", "version": "1.0.0", "private": true, "type": "commonjs"}\n',
    );
    timed("npm install", () => ok(run("npm", ["install", "--no-audit", "--no-fund", tarball], app), "npm install"));
    const nm = join(app, "node_modules");
    figures["node_modules"] = mb(du(nm));
    for (const name of ["node-llama-cpp", "onnxruntime-node", "deno", "ioredis", "bullmq"]) {
      assert.equal(statSync(join(nm, name), { throwIfNoEntry: false }), undefined, `${name} not installed by default`);
    }
    assert.ok(du(nm) < 150e6, `node_modules is ${mb(du(nm))}`);
  });

  it("`npx dspex setup` fills the DSPex home; a second run only checks stamps", () => {
    const cold = timed("setup cold", () => run("npx", ["dspex", "setup"], app, 30));
    ok(cold, "npx dspex setup");
    assert.match(cold.stderr, /python venv: ready: Python [\d.]+, dspy 3\.4\.1/);
    assert.match(cold.stderr, /model runtimes: installed node-llama-cpp/);
    const warm = timed("setup warm", () => run("npx", ["dspex", "setup"], app));
    ok(warm, "second setup");
    // Set-up's own time, without npx's start-up (which the shared host makes slow).
    figures["setup warm (inside dspex)"] = /setup: done in ([\d.]+ s)/.exec(warm.stderr)?.[1] ?? "?";
    assert.match(warm.stderr, /python venv: up to date/);
    assert.match(warm.stderr, /embedded LM .*: up to date/);
    assert.match(warm.stderr, /model runtimes: up to date/);
    figures["home: venv"] = mb(du(join(home, "venv")));
    figures["home: models"] = mb(du(join(home, "models")));
    figures["home: runtime"] = mb(du(join(home, "runtime")));
    const doctor = run("npx", ["dspex", "doctor"], app);
    assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
  });

  it("from another directory: Predict on a loopback OpenAI server", async () => {
    writeFileSync(
      join(app, "openai.mjs"),
      `import { Predict, configure, openai } from "dspex";
configure({ lm: openai({ baseURL: process.env.LOOPBACK_URL, apiKey: "test", model: "m" }) });
const pred = await new Predict("question -> answer").call({ question: "Capital of France?" });
console.log(JSON.stringify(pred.toDict()));
`,
    );
    const out = ok(await runAsync(process.execPath, [join(app, "openai.mjs")], elsewhere), "openai.mjs");
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), { answer: "Paris" });
  });

  it("from another directory: a DSPy optimizer in the Python pool, its LM calls served by Node", async () => {
    writeFileSync(
      join(app, "optimize.mjs"),
      `import { Example, Predict, answerExactMatch, bootstrapFewShot, closeSharedPools, configure, openai } from "dspex";
configure({ lm: openai({ baseURL: process.env.LOOPBACK_URL, apiKey: "test", model: "m" }) });
const trainset = ["France", "Francia", "Frankreich"].map((c) =>
  new Example({ question: "Capital of " + c + "?", answer: "Paris" }).withInputs("question"));
const { program, report } = await bootstrapFewShot(new Predict("question -> answer"), trainset, {
  metric: answerExactMatch, maxBootstrappedDemos: 2,
});
console.log(JSON.stringify({ demos: program.namedPredictors()[0][1].demos.length, lmCalls: report.lmCalls }));
await closeSharedPools();
`,
    );
    const before = server.requests.length;
    const out = ok(await runAsync(process.execPath, [join(app, "optimize.mjs")], elsewhere), "optimize.mjs");
    const result = JSON.parse(out.trim().split("\n").pop()!) as { demos: number; lmCalls: number };
    assert.ok(result.demos >= 2, `demos: ${result.demos}`);
    assert.ok(result.lmCalls > 0);
    assert.equal(
      server.requests.length - before,
      result.lmCalls,
      "every LM call DSPy made reached the server via Node",
    );
  });

  it("from another directory: a Predict on the embedded default (model and runtime from the home)", () => {
    writeFileSync(
      join(app, "embedded.mjs"),
      `import { Predict } from "dspex";
const pred = await new Predict("question -> answer", { maxTokens: 24 }).call({ question: "What is 2 + 2?" });
console.log(JSON.stringify({ answer: typeof pred.answer }));
`,
    );
    const r = run(process.execPath, [join(app, "embedded.mjs")], elsewhere);
    ok(r, "embedded.mjs");
    // The model the table names (it was SmolLM2 before [embedded] chose by measurement).
    assert.ok(r.stderr.includes(`using the embedded model ${DEFAULT_LM.gguf}`), r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), { answer: "string" });
  });

  it("`npx dspex run` loads .ts, .mts, .js and .mjs programs", () => {
    const program = (typed: boolean) =>
      `import { Predict, ScriptedLM } from "dspex";
export const lm = new ScriptedLM({ "": { answer: "Paris" } });
const qa${typed ? ": Predict" : ""} = new Predict("question -> answer");
export default qa;
`;
    writeFileSync(join(app, "prog.ts"), program(true));
    writeFileSync(join(app, "prog.mts"), program(true));
    mkdirSync(join(app, "esm"));
    writeFileSync(join(app, "esm", "package.json"), '{"type": "module"}\n');
    writeFileSync(join(app, "esm", "prog.js"), program(false));
    writeFileSync(join(app, "prog.mjs"), program(false));
    const out = ok(
      run("npx", ["dspex", "run", "prog.ts", "--input", "question=Capital?", "--json"], app),
      "run prog.ts",
    );
    assert.deepEqual(JSON.parse(out.trim()), { answer: "Paris" });
    const bin = join(app, "node_modules", ".bin", "dspex");
    for (const file of ["prog.mts", "esm/prog.js", "prog.mjs"]) {
      const r = ok(run(bin, ["run", join(app, file), "--input", "question=Capital?", "--json"], elsewhere), file);
      assert.deepEqual(JSON.parse(r.trim()), { answer: "Paris" }, file);
    }
  });

  it("require('dspex') works (Node >= 20.19 requires ES modules)", () => {
    writeFileSync(
      join(app, "use.cjs"),
      `const { Predict, setup } = require("dspex");
console.log(typeof Predict, typeof setup);
`,
    );
    assert.equal(ok(run(process.execPath, [join(app, "use.cjs")], elsewhere), "use.cjs").trim(), "function function");
  });

  it("a missing optional part is a typed error naming the install command", () => {
    writeFileSync(
      join(app, "redis.mjs"),
      `import { RedisStore } from "dspex/cache";
try {
  await new RedisStore({ url: "redis://127.0.0.1:1" }).get("k");
} catch (e) {
  console.log(JSON.stringify({ name: e.name, fix: e.fix }));
}
`,
    );
    const out = ok(run(process.execPath, [join(app, "redis.mjs")], elsewhere), "redis.mjs");
    assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), {
      name: "OptionalDependencyMissingError",
      fix: "run `npm install ioredis@6.0.0`",
    });
  });
});
