import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Cache } from "../../src/cache/cache.js";
import { Evaluate } from "../../src/evaluate/evaluate.js";
import type { Metric } from "../../src/evaluate/types.js";
import type { LM } from "../../src/lm/types.js";
import { Example } from "../../src/modules/example.js";
import { configure, resetSettings } from "../../src/runtime/settings.js";
import { recordRuns } from "../../src/studio/record-runs.js";
import { defaultStorePath, RunStore, SCHEMA_VERSION } from "../../src/studio/store.js";
import { StudioStoreError } from "../../src/studio/errors.js";
import type { Loopback } from "../helpers/loopback-openai.js";
import { CapitalQA, capitalExamples } from "../optimize/helpers.js";
import { capitalServer, SECRET } from "./helpers.js";

describe("studio: recording runs", () => {
  let server: Loopback;
  let lm: LM;
  let dir: string;
  before(async () => {
    ({ server, lm } = await capitalServer());
    dir = mkdtempSync(join(tmpdir(), "dspex-studio-"));
  });
  after(async () => {
    resetSettings();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an Evaluate: one run, a row per example with its trace, every LM call a span; no secret stored", async () => {
    const path = join(dir, "runs.sqlite");
    process.env.STUDIO_TEST_API_KEY = `${SECRET}-env`;
    const recording = recordRuns({ path, secrets: [SECRET] });
    configure({ lm, cache: false });
    try {
      const devset = [
        ...capitalExamples(["France", "Italy", "Spain"]),
        // The key pasted into a question must not reach the store; the env one neither.
        new Example({
          question: `What is the capital of Norway? ${SECRET} ${process.env.STUDIO_TEST_API_KEY}`,
          answer: "Oslo",
        }).withInputs("question"),
      ];
      const seen = server.requests.length;
      const metric: Metric = (ex, pred) => {
        if (ex.question === devset[1]!.question) throw new Error("metric broke on Italy");
        return ex.answer === pred.answer;
      };
      const result = await new Evaluate({ devset, metric, concurrency: 2, displayProgress: false }).run(
        new CapitalQA(),
      );
      const program = await new CapitalQA().call({ question: "What is the capital of Spain?" });
      assert.ok(program.answer !== undefined);

      const store = recording.store;
      const runs = store.runs();
      assert.deepEqual(runs.map((r) => r.kind).sort(), ["evaluate", "program"]);
      const run = runs.find((r) => r.kind === "evaluate")!;
      assert.equal(run.status, "ok");
      assert.equal(run.score, result.score);
      const examples = store.examples(run.id);
      assert.equal(examples.length, devset.length);
      assert.deepEqual(
        examples.map((e) => e.score),
        result.results.map((r) => r.score),
      );
      assert.equal(examples.filter((e) => e.error !== null).length, result.errors);
      assert.match(examples[1]!.error ?? "", /metric broke on Italy/);
      assert.deepEqual(JSON.parse(examples[0]!.labels), { answer: "Paris" });
      const spans = store.spans(run.id);
      const lmSpans = spans.filter((s) => s.kind === "lm");
      // Two predictors per example, one request each: every request the server saw is a span.
      assert.equal(lmSpans.length, server.requests.length - seen - 2);
      for (const e of examples) {
        const root = spans.find((s) => s.id === e.traceId);
        assert.ok(root, `example ${e.idx} has its trace`);
        assert.equal(root.kind, "module");
        const kids = spans.filter((s) => s.parentId === root.id);
        assert.deepEqual(kids.map((s) => s.name).sort(), ["ChainOfThought", "Predict"]);
        for (const kid of kids) {
          assert.ok(
            spans.some((s) => s.parentId === kid.id && s.kind === "lm") ||
              spans.some((s) => s.parentId === kid.id && spans.some((l) => l.parentId === s.id && l.kind === "lm")),
            `${kid.name} of example ${e.idx} has its LM call`,
          );
        }
      }
      const oneLM = lmSpans[0]!;
      assert.equal(oneLM.promptTokens, 11);
      assert.equal(oneLM.completionTokens, 4);
      assert.equal(oneLM.cached, 0);
      assert.ok(JSON.parse(oneLM.inputs!).messages.length >= 2, "the prompt is stored");
      assert.ok(JSON.parse(oneLM.outputs!).outputs[0].includes("[[ ## "), "the output is stored");
      const program0 = runs.find((r) => r.kind === "program")!;
      assert.equal(store.spans(program0.id).filter((s) => s.kind === "lm").length, 2);
    } finally {
      recording.stop();
      delete process.env.STUDIO_TEST_API_KEY;
    }
    const bytes = ["", "-wal", "-shm"]
      .map((suffix) => {
        try {
          return readFileSync(path + suffix).toString("latin1");
        } catch {
          return "";
        }
      })
      .join("");
    assert.ok(bytes.includes("capital of Norway"), "the prompt text is in the store");
    assert.ok(!bytes.includes(SECRET.slice(3)), "the API key is not");
  });

  it("an Evaluate stopped by maxErrors is a failed run that keeps the rows it finished", async () => {
    const recording = recordRuns({ path: join(dir, "stopped.sqlite") });
    configure({ lm, cache: false });
    try {
      const devset = capitalExamples(["France", "Italy", "Spain", "Germany"]);
      const metric: Metric = () => {
        throw new Error("no metric today");
      };
      const evaluate = new Evaluate({ devset, metric, maxErrors: 2, concurrency: 1, displayProgress: false });
      const error = await evaluate.run(new CapitalQA()).then(
        () => assert.fail("maxErrors should stop the run"),
        (e: { results: readonly unknown[] }) => e,
      );
      const [run] = recording.store.runs();
      assert.equal(run!.status, "failed");
      assert.match(run!.error ?? "", /EvaluateError/);
      const kept = error.results.filter((r) => r !== undefined).length;
      assert.ok(kept >= 2);
      assert.equal(recording.store.examples(run!.id).length, kept);
      assert.match(recording.store.examples(run!.id)[0]!.error ?? "", /no metric today/);
    } finally {
      recording.stop();
    }
  });

  it("a store that fails never fails the work: one warning, then recording stops", async () => {
    const recording = recordRuns({ path: join(dir, "broken.sqlite") });
    configure({ lm, cache: false });
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => warnings.push(message);
    try {
      recording.store.close();
      for (let i = 0; i < 3; i++) {
        const prediction = await new CapitalQA().call({ question: "What is the capital of Spain?" });
        assert.ok(prediction.answer !== undefined);
      }
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0]!, /recording runs stopped/);
    } finally {
      console.warn = warn;
      configure({ callbacks: [] });
    }
  });

  it("a cache hit is recorded as one: an LM span flagged cached, with no server request", async () => {
    const recording = recordRuns({ path: join(dir, "cached.sqlite") });
    configure({ lm, cache: new Cache({ disk: false }) });
    try {
      const seen = server.requests.length;
      await new CapitalQA().call({ question: "What is the capital of Italy?" });
      await new CapitalQA().call({ question: "What is the capital of Italy?" });
      assert.equal(server.requests.length - seen, 2, "the second call was served by the cache");
      const [second, first] = recording.store.runs();
      const flags = (id: string) =>
        recording.store
          .spans(id)
          .filter((s) => s.kind === "lm")
          .map((s) => s.cached);
      assert.deepEqual(flags(first!.id), [0, 0]);
      assert.deepEqual(flags(second!.id), [1, 1]);
    } finally {
      recording.stop();
      configure({ cache: false });
    }
  });

  it("the layout is versioned: a newer store is refused with a typed error", () => {
    const path = join(dir, "newer.sqlite");
    new RunStore(path).close();
    const db = new Database(path);
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => new RunStore(path), StudioStoreError);
  });

  it("recording is opt-in for library use: nothing is written without recordRuns()", async () => {
    const home = join(dir, "home");
    process.env.DSPEX_HOME = home;
    try {
      configure({ lm, cache: false });
      await new CapitalQA().call({ question: "What is the capital of Spain?" });
      assert.equal(existsSync(defaultStorePath()), false);
      assert.ok(defaultStorePath().startsWith(home));
    } finally {
      delete process.env.DSPEX_HOME;
    }
  });
});
