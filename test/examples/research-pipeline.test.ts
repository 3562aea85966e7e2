/**
 * The main job's pipeline end to end with a scripted LM: the real retrieval backends (SQLite
 * FTS5, sqlite-vec, DSPy's Embeddings in the Python pool, and PostgreSQL full-text + pgvector in
 * a throwaway cluster), the real Python ChainOfThought and MultiChainComparison, the native steps,
 * the TTL cache, progress events and the step tree.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, before, describe, it } from "node:test";
import { StepTotals, StepTree } from "../../src/cli/step-tree.js";
import { closeSharedPools, context, ScriptedLM, UsageTracker } from "../../src/index.js";
import type { PipelineEvent } from "../../src/pipeline/index.js";
import { unloadLocalEmbedders, type Retriever } from "../../src/retrieve/index.js";
import {
  formatMarkdown,
  measureRecall,
  openBackends,
  parseQuery,
  ResearchAssistant,
  reorder,
} from "../../examples/research-pipeline.js";
import { type RunningPostgres, startPostgres } from "../helpers/postgres.js";

// Keyed by the output field the prompt's last message asks for first, so order does not matter.
const lm = () =>
  new ScriptedLM({
    "`[[ ## refined_queries ## ]]`": {
      reasoning: "Look for the biggest planet.",
      refined_queries: ["largest planet Solar System"],
      strategy: "planet size",
    },
    "`[[ ## ranking ## ]]`": { ranking: [2, 1] },
    "`[[ ## rationale ## ]]`": { rationale: "All attempts say Jupiter.", answer: "Jupiter" },
    "`[[ ## reasoning ## ]]`": { reasoning: "The passage names Jupiter.", answer: "Jupiter" },
  });

let pg: RunningPostgres;
let backends: Record<string, Retriever>;

before(async () => {
  pg = await startPostgres({ extensions: ["vector"] });
  ({ backends } = await openBackends({ pgUrl: pg.url }));
});
after(async () => {
  for (const r of Object.values(backends ?? {})) await r.close?.();
  await closeSharedPools();
  await unloadLocalEmbedders();
  await pg?.stop();
});

describe("research pipeline (examples/research-pipeline.ts)", () => {
  it("parses filters and search terms natively", () => {
    assert.deepEqual(parseQuery("topic:Biology Which animal has three hearts?"), {
      query: "Which animal has three hearts?",
      search_terms: ["animal", "has", "three", "hearts"],
      filters: { topic: "biology" },
    });
    assert.deepEqual(
      reorder([{ text: "a" }, { text: "b" }, { text: "c" }], [3, 3, 9, "x", 1]).map((p) => p.text),
      ["c", "a", "b"],
    );
    const md = formatMarkdown("Jupiter", [
      { id: "x", title: "Mars", text: "Mars is red." },
      { id: "astro-1", title: "Jupiter", text: "Jupiter is the largest planet." },
    ]);
    assert.deepEqual(md.citations, [2]);
    assert.match(md.markdown, /^\*\*Answer:\*\* Jupiter \[2\]/);
    assert.match(md.markdown, /2\. \*\*Jupiter\*\* \(astro-1\): Jupiter is the largest planet\./);
  });

  it("runs every step over all five backends, with per-step LM calls, a cache hit and a step tree", async () => {
    const scripted = lm();
    const program = new ResearchAssistant(backends);
    const events: PipelineEvent[] = [];
    program.onProgress((e) => events.push(e));
    const out = new PassThrough();
    let drawn = "";
    out.on("data", (d) => {
      drawn += String(d);
    });
    const tree = new StepTree({ stream: out, live: false });
    program.onProgress(tree.handle);
    const usage = new UsageTracker();
    const question = "topic:astronomy Which planet is the largest in the Solar System?";
    const prediction = await context({ lm: scripted, usage }, () => program.call({ question }));
    tree.finish();

    assert.equal(prediction.answer, "Jupiter");
    assert.ok((prediction.sources as string[]).includes("astro-1"), JSON.stringify(prediction.sources));
    assert.match(String(prediction.markdown), /\*\*Answer:\*\* Jupiter \[\d\]/);
    const ends = events.filter((e) => e.type === "step-end" && e.path.length === 1);
    assert.deepEqual(
      ends.map((e) => e.step),
      ["parse", "refine", "retrieve", "rerank", "attempts", "compare", "format"],
    );
    const calls = Object.fromEntries(ends.map((e) => [e.step, e.type === "step-end" ? e.report.lmCalls : -1]));
    assert.deepEqual(calls, { parse: 0, refine: 1, retrieve: 0, rerank: 1, attempts: 1, compare: 1, format: 0 });
    const children = events.filter((e) => e.type === "step-end" && e.path[0] === "retrieve" && e.path.length === 2);
    assert.deepEqual(children.map((e) => e.step).sort(), [
      "dspy-embeddings",
      "pg-fts",
      "pgvector",
      "sqlite-fts",
      "sqlite-vec",
    ]);
    // The filter kept every candidate in astronomy, on the backends that filter and after fusion.
    for (const e of children) {
      if (e.type !== "step-end") continue;
      assert.equal(e.report.status, "ok");
    }
    assert.match(drawn, /retrieve/);
    assert.match(drawn, /└─ /);
    assert.match(drawn, /compare\s+[\d.]+ s {2}1 LM call/);
    assert.equal(usage.snapshot().total.calls, 4);

    // Same question again: the retrieve step is served from its TTL cache (no backend runs).
    events.length = 0;
    await context({ lm: scripted, usage }, () => program.call({ question }));
    assert.equal(events.filter((e) => e.path[0] === "retrieve" && e.path.length === 2).length, 0);

    const totals = new StepTotals();
    totals.add(ends.map((e) => (e.type === "step-end" ? e.report : undefined)).filter((r) => r !== undefined));
    assert.equal(totals.table().find((r) => r.path === "refine")?.lmCalls, 1);
  });

  it("measures recall@k of each backend and of their fusion", async () => {
    const recall = await measureRecall(
      backends,
      [
        { query: "Which metal stays liquid at room temperature?", relevant: ["chem-80"] },
        { query: "topic:biology Which animal has three hearts?", relevant: ["bio-10"] },
      ],
      3,
    );
    assert.deepEqual(Object.keys(recall).sort(), [
      "dspy-embeddings",
      "fusion",
      "pg-fts",
      "pgvector",
      "sqlite-fts",
      "sqlite-vec",
    ]);
    for (const v of Object.values(recall)) assert.ok(v >= 0 && v <= 1);
    assert.equal(recall.fusion, 1);
  });
});
