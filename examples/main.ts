/**
 * The main job (`npm start`): fully offline, end to end, on the embedded defaults. It indexes the
 * corpus in every embedded retrieval backend, measures their recall on the shipped queries, runs
 * the research pipeline on one question with a live step tree, evaluates it on the dev set,
 * optimizes its predictors with DSPy's BootstrapFewShot (in the Python pool, every LM call served
 * by Node), evaluates again, and prints per-step totals and both scores.
 *
 * The time budget (5 minutes on 2 cores) decides the shape: 4 LM requests per question (refine,
 * rerank, 3 attempts sampled in one request, compare), short outputs, Evaluate at concurrency 4
 * (the local provider runs 4 sequences of one context), and one bootstrapped demo per predictor.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MultiBar, Presets } from "cli-progress";
import { StepTotals, StepTree } from "../src/cli/step-tree.js";
import { bootstrapFewShot, closeSharedPools, configure, Evaluate, Example, local, UsageTracker } from "../src/index.js";
import { unloadLocalModels } from "../src/lm/index.js";
import type { CacheStore, PipelineEvent } from "../src/pipeline/index.js";
import { unloadLocalEmbedders } from "../src/retrieve/index.js";
import {
  answerContains,
  corpus,
  loadJSONL,
  measureRecall,
  openBackends,
  ResearchAssistant,
} from "./research-pipeline.js";

const started = Date.now();
const seconds = (from = started) => ((Date.now() - from) / 1000).toFixed(1);
type QA = { question: string; answer: string };
const toExamples = (rows: QA[]) => rows.map((r) => new Example(r).withInputs("question"));
const trainset = toExamples(loadJSONL<QA>("qa-train.jsonl"));
const devset = toExamples(loadJSONL<QA>("qa-dev.jsonl"));
const queries = loadJSONL<{ query: string; relevant: string[] }>("retrieval-queries.jsonl");

const lm = local();
const usage = new UsageTracker();
configure({ lm, usage });
console.log(
  `DSPex research pipeline — model ${lm.model}; ${corpus.length} passages, ${trainset.length} train / ${devset.length} dev examples\n`,
);

// 1. Index the corpus in every backend, and measure retrieval alone (no LM).
const { backends, indexSeconds } = await openBackends();
const index = Object.entries(indexSeconds).map(([n, s]) => `${n} ${s.toFixed(2)} s`);
console.log(`Indexed ${corpus.length} passages: ${index.join(", ")}`);
if (!process.env.DATABASE_URL) console.log("  (PostgreSQL full-text and pgvector join when DATABASE_URL is set)");
for (const k of [1, 3]) {
  const recall = await measureRecall(backends, queries, k);
  const row = Object.entries(recall).map(([n, r]) => `${n} ${(100 * r).toFixed(0)}%`);
  console.log(`Retrieval recall@${k} on ${queries.length} queries: ${row.join(", ")}`);
}

// The retrieve step's TTL cache is shared by the program, the optimizer's copies and the result.
const cacheStore: CacheStore = new Map();
const program = new ResearchAssistant(backends, { cacheStore });

// 2. One question, with the live step tree.
console.log("");
const tree = new StepTree({ title: "One question, step by step:", stream: process.stdout });
const off = program.onProgress(tree.handle);
const demo = await program.call({ question: "topic:astronomy Which planet is the largest in the Solar System?" });
off();
tree.finish();
console.log(`\n${String(demo.markdown)}\n`);

/** Live bars on a terminal; one line per bar at its end in a log (cli-progress cannot redraw there). */
const tty = process.stderr.isTTY === true;
const bars = tty
  ? new MultiBar(
      {
        format: " {label} [{bar}] {value}/{total} {info}",
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: true,
      },
      Presets.shades_classic,
    )
  : undefined;
function progress(label: string, total: number) {
  const bar = bars?.create(total, 0, { label: label.padEnd(18), info: "" });
  return (value: number, info: string) => {
    if (bar) bar.update(value, { info });
    else if (value === total) console.error(` ${label}: ${value}/${total} ${info}`);
  };
}

/** Evaluates on the dev set, totalling each step's time, LM calls and tokens over the runs. */
async function score(label: string, p: ResearchAssistant): Promise<{ score: number; totals: StepTotals; s: string }> {
  const t = Date.now();
  const totals = new StepTotals();
  const off = p.onProgress((e: PipelineEvent) => {
    if (e.type === "step-end" && e.path.length === 1) totals.add([e.report]);
  });
  const bar = progress(label, devset.length);
  const result = await new Evaluate({ devset, metric: answerContains, concurrency: 4, maxErrors: devset.length }).run(
    p,
    {
      onProgress: (e) => e.done < devset.length && bar(e.done, `score ${e.score.toFixed(1)}%`),
    },
  );
  off();
  bar(devset.length, `score ${result.score}% (${result.errors} errors)`);
  return { score: result.score, totals, s: seconds(t) };
}

// 3. Evaluate, 4. optimize with DSPy's BootstrapFewShot, 5. evaluate again.
const before = await score("dev before", program);
const optBar = progress("bootstrapFewShot", trainset.length);
let seen = 0;
const tOpt = Date.now();
const { program: optimized, report } = await bootstrapFewShot(program, trainset, {
  metric: answerContains,
  maxBootstrappedDemos: 1,
  maxLabeledDemos: 0,
  maxRounds: 1,
  factory: () => new ResearchAssistant(backends, { cacheStore }),
  onProgress: (p) => optBar(Math.min(trainset.length - 1, ++seen), p.message ?? ""),
});
optBar(trainset.length, `${report.lmCalls} LM calls, ${(report.elapsedMs / 1000).toFixed(1)} s`);
const optSeconds = seconds(tOpt);
const after = await score("dev after", optimized);
bars?.stop();

const outDir = join(import.meta.dirname, "out");
mkdirSync(outDir, { recursive: true });
const saved = join(outDir, "research-pipeline.json");
await optimized.save(saved);

for (const [label, r] of [
  ["before", before],
  ["after", after],
] as const) {
  const totals = new StepTree({
    title: `\nPer-step totals over the ${devset.length} dev runs ${label} optimization (${r.s} s):`,
    live: false,
    stream: process.stdout,
  });
  for (const e of r.totals.events()) totals.handle(e);
  totals.finish();
}

const demos = optimized
  .namedPredictors()
  .map(([name, p]) => `${name}: ${(p as unknown as { demos: unknown[] }).demos.length}`);
const total = usage.snapshot().total;
console.log(`
Summary
  dev score      : ${before.score}% before  ->  ${after.score}% after bootstrapFewShot (${devset.length} dev examples)
  optimizer      : ${optSeconds} s, demos ${demos.join(", ")}
  LM calls       : ${total.calls} (${total.cachedCalls} from cache), ${total.totalTokens} tokens — all served by Node
  saved          : ${saved} (DSPy's JSON save format)
  elapsed        : ${seconds()} s`);

for (const r of Object.values(backends)) await r.close?.();
await closeSharedPools();
await unloadLocalEmbedders();
await unloadLocalModels();
