/**
 * P4: Evaluate on 200 examples against a loopback OpenAI-compatible server with 50 ms latency, at
 * concurrency 32. The ideal wall time is N / c x latency; the goal is at most 1.15x that. In the
 * same run, DSPy's Evaluate(num_threads=32) is timed against the same server.
 *
 * The server runs in a child process (this file with --serve), so that neither side shares an
 * event loop with it. Both sides: Predict("question -> answer") with ChatAdapter, cache off,
 * answer_exact_match as the metric. The server also reports the most requests it saw in flight.
 *
 *   npx tsx bench/p4-evaluate.ts            a table
 *   npx tsx bench/p4-evaluate.ts --json     one JSON array of rows
 *
 * The Python is the pools' own: $DSPEX_PYTHON, else the venv in the DSPex home.
 */
import { resolvePython } from "../src/bridge/python-env.js";
import { type ChildProcess, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { answerExactMatch, Evaluate } from "../src/evaluate/index.js";
import { openai } from "../src/lm/providers/openai.js";
import { Example } from "../src/modules/example.js";
import { Predict } from "../src/modules/predict.js";
import { context } from "../src/runtime/settings.js";
import { type RecordedRequest, type Reply, start } from "../test/helpers/loopback-openai.js";
import { median, type Row, report } from "./row.js";

export interface RunOptions {
  n?: number;
  concurrency?: number;
  latencyMs?: number;
  runs?: number;
  python?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const MODEL = "loopback";

/** The server side: answers `a<i>` for `q<i>` after the latency, and counts requests in flight. */
async function serve(latencyMs: number): Promise<void> {
  let now = 0;
  let max = 0;
  const server = await start({
    latencyMs,
    script: (req: RecordedRequest): Reply => {
      if (req.path.endsWith("/stats")) {
        const body = { max };
        max = 0;
        return { kind: "json", body };
      }
      now++;
      max = Math.max(max, now);
      void req.closed.then(() => now--);
      const messages = (req.body as { messages?: { content: string }[] } | undefined)?.messages ?? [];
      const q = /\bq(\d+)\b/.exec(messages.at(-1)?.content ?? "")?.[1] ?? "";
      return { kind: "completion", outputs: `[[ ## answer ## ]]\na${q}\n\n[[ ## completed ## ]]` };
    },
  });
  process.stdout.write(`${server.url}\n`);
  // The parent closes stdin when it is done (or dies); then so do we.
  process.stdin.resume();
  process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
}

async function startServerProcess(latencyMs: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, self, "--serve", String(latencyMs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolveURL, reject) => {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n")[0];
      if (buffered.includes("\n") && line) resolveURL(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`loopback server exited with ${code}`)));
  });
  return { url, child };
}

async function maxInFlight(url: string): Promise<number> {
  const response = await fetch(`${url}/stats`);
  return ((await response.json()) as { max: number }).max;
}

/** The floor for any client on this machine: the same HTTP requests from a bare fetch() pool (returns a timer). */
function bareFetchPool(url: string, concurrency: number): (count: number) => Promise<number> {
  const body = (i: number): string =>
    JSON.stringify({ model: MODEL, messages: [{ role: "user", content: `[[ ## question ## ]]\nq${i}` }] });
  const once = async (count: number): Promise<number> => {
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++;
        const response = await fetch(`${url}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: "Bearer x" },
          body: body(i),
        });
        await response.json();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - started;
  };
  return once;
}

/** The same pool over node:http with the global keep-alive agent: the transport our OpenAI provider uses. */
function bareHttpPool(url: string, concurrency: number): (count: number) => Promise<number> {
  const target = new URL(`${url}/chat/completions`);
  const post = (i: number): Promise<unknown> =>
    new Promise((resolvePost, reject) => {
      const payload = Buffer.from(
        JSON.stringify({ model: MODEL, messages: [{ role: "user", content: `[[ ## question ## ]]\nq${i}` }] }),
      );
      const req = httpRequest(
        target,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: "Bearer x",
            "content-length": String(payload.byteLength),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolvePost(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  return async (count: number): Promise<number> => {
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < count) await post(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return performance.now() - started;
  };
}

function devset(n: number): Example[] {
  return Array.from({ length: n }, (_, i) =>
    new Example({ question: `q${i}`, answer: `a${i}` }).withInputs("question"),
  );
}

/** The Python with pinned DSPy: the one the pools use (DSPEX_PYTHON, else the DSPex home's venv). */
function pythonPath(explicit?: string): string {
  return explicit ?? resolvePython().python;
}

interface Baseline {
  version: string;
  walls_ms: number[];
  median_ms: number;
  score: number;
}

/** Runs the DSPy side without blocking our event loop (the server is elsewhere, but keep it honest). */
function runDSPy(python: string, config: Record<string, unknown>): Promise<Baseline | { error: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(python, [join(here, "p4_dspy_evaluate.py")], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", (e) => resolveRun({ error: `${python}: ${e.message}` }));
    child.on("close", (code) => {
      if (code !== 0) resolveRun({ error: `${python} exited with ${code}: ${err.slice(-800)}` });
      else resolveRun(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Baseline);
    });
    child.stdin.end(JSON.stringify(config));
  });
}

/** Issue 18's levels: c = 8, 32 and 128 (P4_CONCURRENCY="8,32" picks others), or the one given. */
export async function run(options: RunOptions = {}): Promise<Row[]> {
  const levels =
    options.concurrency !== undefined
      ? [options.concurrency]
      : (process.env.P4_CONCURRENCY ?? "8,32,128").split(",").map((c) => Number(c.trim()));
  const rows: Row[] = [];
  for (const concurrency of levels) rows.push(...(await runAt({ ...options, concurrency })));
  return rows;
}

async function runAt(options: RunOptions = {}): Promise<Row[]> {
  const n = options.n ?? 200;
  const concurrency = options.concurrency ?? 32;
  const latencyMs = options.latencyMs ?? 50;
  const runs = options.runs ?? 5;
  const ideal = (n / concurrency) * latencyMs;
  const { url, child } = await startServerProcess(latencyMs);
  try {
    const lm = openai({ baseURL: url, apiKey: "x", model: MODEL, maxRetries: 0 });
    const program = new Predict("question -> answer");
    const evaluator = new Evaluate({ devset: devset(n), metric: answerExactMatch, concurrency });
    const bareOnce = bareFetchPool(url, concurrency);
    const httpOnce = bareHttpPool(url, concurrency);
    const walls: number[] = [];
    const bareWalls: number[] = [];
    const httpWalls: number[] = [];
    let score = 0;
    let ourMax = 0;
    await context({ lm, cache: false }, async () => {
      await evaluator.run(program, { devset: devset(concurrency * 2) });
      await bareOnce(concurrency * 2);
      await httpOnce(concurrency * 2);
      await maxInFlight(url);
      // Interleaved, so that load from elsewhere on the machine hits both alike.
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        const result = await evaluator.run(program);
        walls.push(performance.now() - started);
        score = result.score;
        ourMax = Math.max(ourMax, await maxInFlight(url));
        bareWalls.push(await bareOnce(n));
        httpWalls.push(await httpOnce(n));
      }
    });
    if (score !== 100) throw new Error(`our Evaluate scored ${score}, expected 100`);
    const ours = median(walls);
    const bare = median(bareWalls);
    const bareHttp = median(httpWalls);

    const python = pythonPath(options.python);
    const dspy = await runDSPy(python, { url, model: MODEL, n, threads: concurrency, runs, warmup: concurrency * 2 });
    const dspyMax = await maxInFlight(url);
    const setting = `${n} examples, c=${concurrency}, ${latencyMs} ms latency`;
    const waves = Math.ceil(n / concurrency) * latencyMs;
    const rows: Row[] = [
      {
        measure: "P4",
        unit: `Evaluate wall ms (${setting})`,
        ours,
        baseline: waves,
        baselineName: "wave floor ceil(N/c) x latency",
        ratio: ours / waves,
        goal: "<= 1.10x wave floor",
        met: ours / waves <= 1.1,
        note: `bare node:http pool ${(bareHttp / waves).toFixed(2)}x, bare fetch() ${(bare / waves).toFixed(2)}x, DSPy ${"error" in dspy ? "failed" : `${(dspy.median_ms / waves).toFixed(2)}x`} the wave floor`,
      },
      {
        measure: "P4",
        unit: `Evaluate wall ms (${setting})`,
        ours,
        baseline: ideal,
        baselineName: "ideal N/c x latency",
        ratio: ours / ideal,
        goal: "<= 1.15x ideal",
        met: ours / ideal <= 1.15,
        note:
          `ours ${walls.map((w) => w.toFixed(0)).join("/")} ms over ${runs} runs; server saw at most ${ourMax} in flight; ` +
          `the floor with whole waves is ceil(N/c) x latency = ${Math.ceil(n / concurrency) * latencyMs} ms`,
      },
    ];
    rows.push({
      measure: "P4",
      unit: `Evaluate wall ms (${setting})`,
      ours,
      baseline: bare,
      baselineName: `bare fetch() pool, c=${concurrency}`,
      ratio: ours / bare,
      goal: "reported (Evaluate's own overhead)",
      met: null,
      note: `the same requests as plain fetch calls in a ${concurrency}-wide pool: ${bareWalls.map((w) => w.toFixed(0)).join("/")} ms = ${(bare / ideal).toFixed(2)}x ideal`,
    });
    rows.push({
      measure: "P4",
      unit: `Evaluate wall ms (${setting})`,
      ours,
      baseline: bareHttp,
      baselineName: `bare node:http pool, c=${concurrency}`,
      ratio: ours / bareHttp,
      goal: "reported (Evaluate's own overhead over its transport)",
      met: null,
      note: `the same requests over node:http's keep-alive agent (our provider's transport): ${httpWalls.map((w) => w.toFixed(0)).join("/")} ms = ${(bareHttp / ideal).toFixed(2)}x ideal`,
    });
    if ("error" in dspy) {
      rows.push({
        measure: "P4",
        unit: `Evaluate wall ms (${setting})`,
        ours,
        baseline: null,
        baselineName: "DSPy Evaluate(num_threads=32)",
        ratio: null,
        goal: "reported",
        met: null,
        note: `DSPy baseline failed: ${dspy.error}`,
      });
    } else {
      rows.push({
        measure: "P4",
        unit: `Evaluate wall ms (${setting})`,
        ours,
        baseline: dspy.median_ms,
        baselineName: `DSPy ${dspy.version} Evaluate(num_threads=${concurrency})`,
        ratio: ours / dspy.median_ms,
        goal: "reported (ours/DSPy)",
        met: null,
        note:
          `DSPy ${dspy.walls_ms.map((w) => w.toFixed(0)).join("/")} ms = ${(dspy.median_ms / ideal).toFixed(2)}x ideal, ` +
          `score ${dspy.score}; server saw at most ${dspyMax} in flight`,
      });
    }
    return rows;
  } finally {
    child.stdin?.end();
    await new Promise<void>((r) => (child.exitCode !== null ? r() : child.once("exit", () => r())));
  }
}

if (process.argv.includes("--serve")) {
  await serve(Number(process.argv[process.argv.indexOf("--serve") + 1] ?? 50));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  report(await run());
}
