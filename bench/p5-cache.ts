/**
 * P5: p50 cache hit latency, memory tier and SQLite tier (memory tier off), against DSPy's cache
 * (dspy.clients.cache.Cache: cachetools LRU and diskcache) timed in the same run.
 *
 * Like for like: a DSPy hit is Cache.get(request), which derives the key and returns a copy of
 * the stored response; ours is cacheKey(request) + cache.get(key), which does the same. Lookups
 * by a known key and key derivation alone are reported too, without a baseline.
 *
 *   npx tsx bench/p5-cache.ts            a table
 *   npx tsx bench/p5-cache.ts --json     one JSON array of rows
 *
 * The Python is the pools' own: $DSPEX_PYTHON, else the venv in the DSPex home.
 */
import { resolvePython } from "../src/bridge/python-env.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Cache, cacheKey } from "../src/cache/index.js";
import type { LMRequest, LMResponse } from "../src/lm/types.js";

export interface Row {
  measure: string;
  /** p50 in microseconds (median over runs). */
  ours: number;
  baseline: number | null;
  /** baseline / ours: how many times faster we are. */
  ratio: number | null;
  goal: number | null;
  met: boolean | null;
  /** Spread of the per-run p50s, [min, max]. */
  spread: [number, number];
  baselineSpread: [number, number] | null;
}

export interface RunOptions {
  iterations?: number;
  runs?: number;
  python?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 100;

// A ChatAdapter prompt of typical size (one input, one output field).
const messages: LMRequest["messages"] = [
  {
    role: "system",
    content:
      "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `answer` (str):\nAll interactions will " +
      "be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n" +
      "[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n" +
      "        Given the fields `question`, produce the fields `answer`.",
  },
  {
    role: "user",
    content:
      "[[ ## question ## ]]\nWhat is the capital of France?\n\nRespond with the corresponding output fields, starting " +
      "with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
  },
];
const answer = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";
const request: LMRequest = { messages, temperature: 0, maxTokens: 4000 };
const context = { provider: "openai", model: "gpt-4o-mini", adapter: "ChatAdapter" };
const value: LMResponse = {
  outputs: [answer],
  usage: { promptTokens: 180, completionTokens: 12, totalTokens: 192 },
  model: "gpt-4o-mini",
  cached: false,
  finishReasons: ["stop"],
};

/** p50 of per-operation times (µs), each sample the mean of a batch of BATCH operations. */
async function p50(op: () => unknown, iterations: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await op();
  const samples: number[] = [];
  for (let done = 0; done < iterations; done += BATCH) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) await op();
    samples.push(Number(process.hrtime.bigint() - start) / BATCH / 1000);
  }
  return median(samples);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function spreadOf(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** The Python with pinned DSPy: the one the pools use (DSPEX_PYTHON, else the DSPex home's venv). */
function pythonPath(explicit?: string): string {
  return explicit ?? resolvePython().python;
}

interface Baseline {
  version: string;
  memory: number[];
  disk: number[];
}

function runDSPy(python: string, iterations: number, runs: number): Baseline | { error: string } {
  const input = JSON.stringify({ messages, answer, iterations, runs, batch: BATCH, warmup: iterations / 10 });
  const result = spawnSync(python, [join(here, "p5_dspy_cache.py")], { input, encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0) {
    return { error: `${python} failed (${result.status ?? result.signal}): ${(result.stderr ?? "").slice(-500)}` };
  }
  return JSON.parse(result.stdout) as Baseline;
}

export async function run(options: RunOptions = {}): Promise<Row[]> {
  const iterations = options.iterations ?? 100_000;
  const runs = options.runs ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "dspex-p5-"));
  const ours = { memory: [] as number[], sqlite: [] as number[], lookup: [] as number[], key: [] as number[] };
  try {
    const memory = new Cache({ disk: false });
    const sqlite = new Cache({ memory: false, disk: { path: join(dir, "cache.db") } });
    const key = cacheKey(request, context);
    await memory.set(key, value);
    await sqlite.set(key, value);
    const memoryHit = () => memory.get(cacheKey(request, context));
    const sqliteHit = () => sqlite.get(cacheKey(request, context));
    if ((await memoryHit()) === undefined || (await sqliteHit()) === undefined) throw new Error("expected hits");
    for (let r = 0; r < runs; r++) {
      ours.memory.push(await p50(memoryHit, iterations, iterations / 10));
      ours.sqlite.push(await p50(sqliteHit, iterations / 4, iterations / 40));
      ours.lookup.push(await p50(() => memory.get(key), iterations, iterations / 10));
      ours.key.push(await p50(() => cacheKey(request, context), iterations, iterations / 10));
    }
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const python = pythonPath(options.python);
  const baseline = runDSPy(python, iterations / 2, runs);
  if ("error" in baseline) process.stderr.write(`p5: no DSPy baseline: ${baseline.error}\n`);
  const base = "error" in baseline ? undefined : baseline;

  const row = (measure: string, mine: number[], theirs: number[] | undefined, goal: number | null): Row => {
    const o = median(mine);
    const b = theirs === undefined ? null : median(theirs);
    return {
      measure,
      ours: round(o),
      baseline: b === null ? null : round(b),
      ratio: b === null ? null : round(b / o),
      goal,
      met: goal === null ? null : o <= goal,
      spread: spreadOf(mine).map(round) as [number, number],
      baselineSpread: theirs === undefined ? null : (spreadOf(theirs).map(round) as [number, number]),
    };
  };
  return [
    row("memory hit p50 µs (key + lookup)", ours.memory, base?.memory, 5),
    row("sqlite hit p50 µs (key + lookup, memory tier off)", ours.sqlite, base?.disk, 50),
    row("memory lookup by key p50 µs", ours.lookup, undefined, null),
    row("key derivation p50 µs", ours.key, undefined, null),
  ];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function table(rows: Row[]): string {
  const header = ["measure", "ours (min-max)", "DSPy (min-max)", "ratio (x faster)", "goal", "met"];
  const lines = rows.map((r) => [
    r.measure,
    `${r.ours} (${r.spread[0]}-${r.spread[1]})`,
    r.baseline === null ? "-" : `${r.baseline} (${r.baselineSpread![0]}-${r.baselineSpread![1]})`,
    r.ratio === null ? "-" : `${r.ratio}x`,
    r.goal === null ? "-" : `<= ${r.goal}`,
    r.met === null ? "-" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...lines.map(fmt)].join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const rows = await run();
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else {
    process.stdout.write(`P5 cache hit latency (node ${process.version}, python ${pythonPath()})\n`);
    process.stdout.write(`${table(rows)}\n`);
  }
}
