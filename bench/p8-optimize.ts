/**
 * P8 (optimizer row): the same two-predictor program (keywords, then a chain of thought)
 * optimized by BootstrapFewShot and by MIPROv2 light, ours against pure DSPy with dspy.LM, both
 * on one loopback OpenAI-compatible server (a child process) with 50 ms latency, cache off,
 * 8 threads. Printed per optimizer: the optimizer phase (compile alone) and the whole process
 * (spawn to exit, imports and pool start included), as ratios to DSPy's; the LM calls each side
 * made (counted by the server; they must be equal); and each side's floor: the LM latency times
 * the waves of requests its run needed (a wave is the requests that start within one latency of
 * the first). Our child starts the optimizers pool first, while it loads DSPex and builds the
 * program, as `dspex optimize` does.
 *
 *   npx tsx bench/p8-optimize.ts [bootstrap|mipro]     a table
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Metric } from "../src/evaluate/types.js";
import type { Message } from "../src/lm/types.js";
import type { RecordedRequest, Reply } from "../test/helpers/loopback-openai.js";
import { type Row, report } from "./row.js";

// Only type imports above (and row.js): the child process's clock starts at its first line, so
// whatever this file loads statically would be paid before the pool could start.

const here = dirname(fileURLToPath(import.meta.url));
const self = fileURLToPath(import.meta.url);
const MODEL = "loopback";
const LATENCY_MS = 50;
const THREADS = 8;
// The first ten of the tests' CAPITALS (test/optimize/helpers.ts), whose rules the server answers with.
const TRAIN = [
  ["France", "Paris"],
  ["Italy", "Rome"],
  ["Spain", "Madrid"],
  ["Germany", "Berlin"],
  ["Portugal", "Lisbon"],
  ["Austria", "Vienna"],
  ["Greece", "Athens"],
  ["Norway", "Oslo"],
  ["Sweden", "Stockholm"],
  ["Poland", "Warsaw"],
].map(([country, capital]) => [`What is the capital of ${country}?`, capital!] as const);

type Which = "bootstrap" | "mipro";

/** The server: RuleLM's answers after the latency; /stats reports and resets the count and waves. */
async function serve(latencyMs: number): Promise<void> {
  const { start } = await import("../test/helpers/loopback-openai.js");
  const { RuleLM } = await import("../test/optimize/helpers.js");
  const rules = new RuleLM("loopback", { instructionsHelp: true });
  let starts: number[] = [];
  const server = await start({
    latencyMs,
    script: (req: RecordedRequest): Reply => {
      if (req.path.endsWith("/stats")) {
        const sorted = [...starts].sort((a, b) => a - b);
        let waves = 0;
        let waveEnd = Number.NEGATIVE_INFINITY;
        for (const s of sorted) {
          if (s >= waveEnd) {
            waves++;
            waveEnd = s + latencyMs;
          }
        }
        const body = { count: starts.length, waves };
        starts = [];
        return { kind: "json", body };
      }
      starts.push(performance.now());
      const body = req.body as { messages?: { role: string; content: string }[] } | undefined;
      const messages = (body?.messages ?? []).map((m) => ({ role: m.role, content: m.content }) as Message);
      return { kind: "completion", outputs: rules.answer(messages) };
    },
  });
  process.stdout.write(`${server.url}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void server.close().then(() => process.exit(0)));
}

/** Our side, as its own process: what a user's script does, with the pool started first. */
async function child(which: Which, url: string): Promise<void> {
  const t0 = performance.now();
  const startupMs = t0; // performance's origin is the process's start
  const { sharedPoolFor, closeSharedPools } = await import("../src/bridge/shared-pools.js");
  const pool = sharedPoolFor(which === "mipro" ? "miproV2" : "bootstrapFewShot");
  pool.catch(() => undefined);
  let poolMs = Number.NaN;
  pool.then(
    () => (poolMs = performance.now() - t0),
    () => undefined,
  );
  const dspex = await import("../src/index.js");
  const importMs = performance.now() - t0;
  class CapitalQA extends dspex.Module<{ question: string }> {
    readonly keywords = new dspex.Predict("question -> keywords");
    readonly answer = new dspex.ChainOfThought("question, keywords -> answer");
    async forward(inputs: { question: string }) {
      const { keywords } = await this.keywords.call({ question: inputs.question });
      return this.answer.call({ question: inputs.question, keywords });
    }
  }
  const lm = dspex.openai({ baseURL: url, apiKey: "x", model: MODEL, maxRetries: 0 });
  const train = TRAIN.map(([question, answer]) => new dspex.Example({ question, answer }).withInputs("question"));
  const metric: Metric = (example, prediction) => example.answer === prediction.answer;
  const program = new CapitalQA();
  await pool;
  const started = performance.now();
  const { report: r } = await dspex.context({ cache: false }, () =>
    which === "bootstrap"
      ? dspex.bootstrapFewShot(program, train, { lm, metric, maxBootstrappedDemos: 2, maxLabeledDemos: 2 })
      : dspex.miproV2(program, train, {
          lm,
          metric,
          auto: "light",
          numThreads: THREADS,
          maxBootstrappedDemos: 1,
          maxLabeledDemos: 1,
        }),
  );
  const phaseMs = performance.now() - started;
  const closing = performance.now();
  await closeSharedPools();
  const closeMs = performance.now() - closing;
  process.stdout.write(
    `${JSON.stringify({ phaseMs, lmCalls: r.lmCalls, startupMs, importMs, poolMs, closeMs, endMs: performance.now() })}\n`,
  );
}

function pythonPath(): string {
  const env = process.env.DSPEX_PYTHON;
  if (env) return env;
  for (const candidate of [resolve(here, "..", ".venv", "bin", "python"), "/work/main/.venv/bin/python"]) {
    if (existsSync(candidate)) return candidate;
  }
  return "python3";
}

/** Runs a process to its end; its wall time (spawn to exit) and the JSON line it printed. */
function timed(cmd: string, args: string[], stdin: string): Promise<{ wallMs: number; out: Record<string, number> }> {
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", reject);
    p.on("exit", (code) => {
      const wallMs = performance.now() - t0;
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`${cmd} exited with ${code}: ${err.slice(-600)}`));
      else resolveRun({ wallMs, out: JSON.parse(line) as Record<string, number> });
    });
    p.stdin.end(stdin);
  });
}

async function stats(url: string): Promise<{ count: number; waves: number }> {
  const response = await fetch(`${url}/stats`);
  return (await response.json()) as { count: number; waves: number };
}

export async function run(options: { which?: Which[] } = {}): Promise<Row[]> {
  const server = spawn(process.execPath, [...process.execArgv, self, "--serve", String(LATENCY_MS)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolveURL, reject) => {
    let buffered = "";
    server.stdout!.on("data", (c: Buffer) => {
      buffered += c.toString();
      if (buffered.includes("\n")) resolveURL(buffered.split("\n")[0]!.trim());
    });
    server.once("exit", (code) => reject(new Error(`loopback server exited with ${code}`)));
  });
  const rows: Row[] = [];
  try {
    for (const which of options.which ?? (["bootstrap", "mipro"] as Which[])) {
      await stats(url);
      const ours = await timed(process.execPath, [...process.execArgv, self, "--child", which, url], "");
      const oursServer = await stats(url);
      const config = { url, model: MODEL, optimizer: which, threads: THREADS, train: TRAIN };
      const dspy = await timed(pythonPath(), [join(here, "p8_dspy_optimize.py")], JSON.stringify(config));
      const dspyServer = await stats(url);
      const name = which === "bootstrap" ? "bootstrapFewShot" : "MIPROv2 light";
      const calls = `LM calls: ours ${oursServer.count} (report ${ours.out.lmCalls}), DSPy ${dspyServer.count}${oursServer.count === dspyServer.count ? " (equal)" : " (NOT equal)"}`;
      const oursFloor = oursServer.waves * LATENCY_MS;
      const dspyFloor = dspyServer.waves * LATENCY_MS;
      const phase = ours.out.phaseMs! / dspy.out.phaseMs!;
      rows.push({
        measure: `P8 ${name}: optimizer phase`,
        unit: "ms",
        ours: ours.out.phaseMs!,
        baseline: dspy.out.phaseMs!,
        baselineName: "DSPy compile(), dspy.LM",
        ratio: phase,
        goal: which === "mipro" ? "<= 0.85x DSPy, <= 1.05x floor" : "-",
        met: which === "mipro" ? phase <= 0.85 && ours.out.phaseMs! <= 1.05 * oursFloor : null,
        note: `${calls}; floor (waves x ${LATENCY_MS} ms): ours ${oursFloor} ms (${(ours.out.phaseMs! / oursFloor).toFixed(2)}x), DSPy ${dspyFloor} ms (${(dspy.out.phaseMs! / dspyFloor).toFixed(2)}x)`,
      });
      const whole = ours.wallMs / dspy.wallMs;
      rows.push({
        measure: `P8 ${name}: whole process`,
        unit: "ms",
        ours: ours.wallMs,
        baseline: dspy.wallMs,
        baselineName: "python script, import dspy to exit",
        ratio: whole,
        goal: which === "bootstrap" ? "<= 1.0x DSPy" : "-",
        met: which === "bootstrap" ? whole <= 1.0 : null,
        note: `spawn to exit; ours starts the optimizers pool while it loads DSPex (ours: Node to its first line ${ours.out.startupMs!.toFixed(0)} ms, then DSPex imported at ${ours.out.importMs!.toFixed(0)} ms, pool ready at ${ours.out.poolMs!.toFixed(0)} ms, pools closed in ${ours.out.closeMs!.toFixed(0)} ms, done at ${ours.out.endMs!.toFixed(0)} ms)`,
      });
    }
  } finally {
    server.stdin!.end();
  }
  return rows;
}

const argv = process.argv;
if (argv[1] && import.meta.url === pathToFileURL(argv[1]).href) {
  if (argv[2] === "--serve") await serve(Number(argv[3]));
  else if (argv[2] === "--child") await child(argv[3] as Which, argv[4]!);
  else {
    const which = argv.slice(2).filter((a): a is Which => a === "bootstrap" || a === "mipro");
    report(await run(which.length ? { which } : {}));
  }
}
