/**
 * The embedded model as a newcomer meets it: 40 probe questions (bench/probe-questions.ts), each
 * a plain Predict with no LM configured and the cache off, so every call runs the default local
 * model with its default options. Rows: score, placeholder echoes, errors, latency p50/p95/max,
 * completion tokens; then Evaluate's answers/s at concurrency 4 against concurrency 1 on the
 * same 16 questions in the same process (a ratio, so that the shared machine's noise falls on
 * both sides).
 *
 *   npx tsx bench/probe-local.ts              table (per-question lines on stderr)
 *   DSPEX_MODEL=/path/x.gguf npx tsx bench/probe-local.ts --json
 *   --only=probe | --only=concurrency         one half
 */
import { availableParallelism, loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Evaluate } from "../src/evaluate/evaluate.js";
import { embeddedDefaultLM } from "../src/runtime/default-lm.js";
import { Example } from "../src/modules/example.js";
import { Predict } from "../src/modules/predict.js";
import { configure } from "../src/runtime/settings.js";
import { unloadLocalModels } from "../src/lm/providers/local-runtime.js";
import type { LocalLM } from "../src/lm/providers/local.js";
import { check, isPlaceholderEcho, PROBE, type ProbeQuestion } from "./probe-questions.js";
import { median, percentile, type Row, report } from "./row.js";

export interface ProbeResult {
  right: number;
  total: number;
  echoes: number;
  errors: number;
  latenciesMs: number[];
  /** Process CPU time per call (llama.cpp's threads included): what a call costs whatever the load. */
  cpuMs: number[];
  completionTokens: number;
  details: { q: ProbeQuestion; value: unknown; ok: boolean; ms: number; error?: string }[];
}

const log = (line: string) => {
  if (!process.argv.includes("--quiet")) console.error(line);
};

/** Runs the 40 questions one after another through fresh Predicts on the default LM. */
export async function runProbe(questions: readonly ProbeQuestion[] = PROBE): Promise<ProbeResult> {
  const result: ProbeResult = {
    right: 0,
    total: questions.length,
    echoes: 0,
    errors: 0,
    latenciesMs: [],
    cpuMs: [],
    completionTokens: 0,
    details: [],
  };
  for (const q of questions) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const cpuMs = () => {
      const d = process.cpuUsage(cpu);
      return (d.user + d.system) / 1000;
    };
    try {
      const prediction = await new Predict(q.signature).call(q.inputs);
      const ms = performance.now() - started;
      result.cpuMs.push(cpuMs());
      const value = (prediction.toDict() as Record<string, unknown>)[q.field];
      const ok = check(q, value);
      const fields = Object.values(prediction.toDict());
      if (fields.some(isPlaceholderEcho)) result.echoes++;
      if (ok) result.right++;
      result.latenciesMs.push(ms);
      result.completionTokens += prediction.lmUsage?.completionTokens ?? 0;
      result.details.push({ q, value, ok, ms });
      log(
        `${ok ? "ok  " : "MISS"} ${ms.toFixed(0).padStart(6)} ms ${result.cpuMs.at(-1)!.toFixed(0).padStart(6)} cpu-ms ${String(prediction.lmUsage?.promptTokens ?? "").padStart(4)}+${String(prediction.lmUsage?.completionTokens ?? "").padEnd(3)} tok  ${q.kind.padEnd(7)} ${JSON.stringify(value)}`,
      );
    } catch (error) {
      const ms = performance.now() - started;
      result.errors++;
      result.latenciesMs.push(ms);
      result.cpuMs.push(cpuMs());
      const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      result.details.push({ q, value: undefined, ok: false, ms, error: message });
      log(`ERR  ${ms.toFixed(0).padStart(6)} ms  ${q.kind.padEnd(7)} ${message}`);
    }
  }
  return result;
}

/** Answers per second of Evaluate over `devset` at `concurrency`. */
async function answersPerSecond(devset: Example[], concurrency: number): Promise<{ rate: number; score: number }> {
  const program = new Predict("question -> answer");
  const evaluate = new Evaluate({
    devset,
    metric: (example, prediction) =>
      check(
        { kind: "fact", signature: "", inputs: {}, field: "answer", gold: String(example.toDict().answer) },
        prediction.toDict().answer,
      ),
    concurrency,
    maxErrors: devset.length + 1,
  });
  const started = performance.now();
  const result = await evaluate.run(program);
  const seconds = (performance.now() - started) / 1000;
  return { rate: devset.length / seconds, score: result.score };
}

/**
 * One thread against two on the same questions, alternating configurations question by question
 * so that load from other processes falls on both. Not in the default run: its answer depends
 * on how busy the machine is more than on our code (see the note in local-runtime.ts).
 */
async function threadsRow(modelPath: string): Promise<Row> {
  const { local } = await import("../src/lm/providers/local.js");
  const { context } = await import("../src/runtime/settings.js");
  const lms = [1, 2].map((threads) => local({ modelPath, threads }));
  for (const l of lms) await l.load();
  const ms: [number[], number[]] = [[], []];
  const before = machine();
  for (const q of PROBE.filter((_, i) => i % 3 === 0)) {
    for (const [i, l] of lms.entries()) {
      const started = performance.now();
      await context({ lm: l, cache: false }, () => new Predict(q.signature).call(q.inputs));
      ms[i as 0 | 1].push(performance.now() - started);
    }
  }
  const [one, two] = ms.map((xs) => xs.reduce((a, b) => a + b, 0));
  return {
    measure: "Embedded model: 2 threads vs 1 (14 probe questions, alternating)",
    unit: "s total with 2 threads",
    ours: two! / 1000,
    baseline: one! / 1000,
    baselineName: "1 thread",
    ratio: one! / two!,
    goal: "",
    met: null,
    note: `speed-up of 2 threads; ${before} -> ${machine()}`,
  };
}

function machine(): string {
  return `nproc ${availableParallelism()}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;
}

export async function run(): Promise<Row[]> {
  configure({ cache: false });
  const lm = embeddedDefaultLM() as LocalLM | undefined;
  if (lm === undefined) throw new Error("no embedded model installed (run `npm run setup`, or set DSPEX_MODEL)");
  await lm.load();
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7);
  const rows: Row[] = [];
  try {
    if (only === undefined || only === "probe") {
      const before = machine();
      const kinds = process.argv
        .find((a) => a.startsWith("--kinds="))
        ?.slice(8)
        .split(",");
      const r = await runProbe(kinds === undefined ? PROBE : PROBE.filter((q) => kinds.includes(q.kind)));
      const note = `${lm.model}; ${before} -> ${machine()}`;
      const lat = r.latenciesMs;
      rows.push(
        {
          measure: `Probe: right answers (${r.total} plain Predicts, no LM configured)`,
          unit: "% right",
          ours: (100 * r.right) / r.total,
          baseline: null,
          baselineName: "",
          ratio: null,
          goal: ">= 85",
          met: (100 * r.right) / r.total >= 85,
          note,
        },
        {
          measure: "Probe: placeholder echoes / errors",
          unit: "count",
          ours: r.echoes + r.errors,
          baseline: null,
          baselineName: "",
          ratio: null,
          goal: "0",
          met: r.echoes + r.errors === 0,
          note: `${r.echoes} echoes, ${r.errors} errors, ${r.completionTokens} completion tokens`,
        },
        {
          measure: "Probe: latency per call",
          unit: "p95 s",
          ours: percentile(lat, 95) / 1000,
          baseline: null,
          baselineName: "",
          ratio: null,
          goal: "p95 <= 3 s, max <= 10 s",
          met: percentile(lat, 95) <= 3000 && Math.max(...lat) <= 10_000,
          note: `p50 ${(median(lat) / 1000).toFixed(2)} s, max ${(Math.max(...lat) / 1000).toFixed(2)} s; CPU per call p50 ${(median(r.cpuMs) / 1000).toFixed(2)} s, p95 ${(percentile(r.cpuMs, 95) / 1000).toFixed(2)} s; threads ${lm.threads ?? "one per core"}`,
        },
      );
    }
    if (only === "threads") rows.push(await threadsRow(lm.modelPath));
    if (only === undefined || only === "concurrency") {
      const questions = PROBE.filter((q) => q.kind === "fact" || q.kind === "reading" || q.kind === "int").slice(0, 16);
      const devset = questions.map((q) =>
        new Example({
          question: q.kind === "reading" ? `${q.inputs.context} ${q.inputs.question}` : q.inputs.question!,
          answer: String(q.gold),
        }).withInputs("question"),
      );
      // One untimed call first: the signature's system prompt is then cached for both sides. Without
      // it concurrency 1, which runs first, alone pays that cold prefill (~3 s of ~27 s here).
      await answersPerSecond(devset.slice(0, 1), 1);
      const before = machine();
      const one = await answersPerSecond(devset, 1);
      const four = await answersPerSecond(devset, 4);
      rows.push({
        measure: "Evaluate on the embedded model: concurrency 4 vs 1 (16 questions)",
        unit: "answers/s at c=4",
        ours: four.rate,
        baseline: one.rate,
        baselineName: "same Evaluate at concurrency 1",
        ratio: four.rate / one.rate,
        goal: ">= 2.5x",
        met: four.rate / one.rate >= 2.5,
        note: `scores c1 ${one.score}% c4 ${four.score}%; ${lm.model}; ${before} -> ${machine()}`,
      });
    }
  } finally {
    await unloadLocalModels();
  }
  return rows;
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? "")).href) {
  report(await run());
}
