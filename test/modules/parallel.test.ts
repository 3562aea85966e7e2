import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LMAbortedError } from "../../src/lm/errors.js";
import { openai } from "../../src/lm/providers/openai.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Example, type Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { type ExecPair, Parallel, ParallelCancelledError } from "../../src/modules/parallel.js";
import { Predict } from "../../src/modules/predict.js";
import { Prediction } from "../../src/modules/prediction.js";
import { context, currentSettings } from "../../src/runtime/settings.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";
import { contentText } from "../../src/lm/compat.js";

const quiet = { onError: () => undefined };

/** Resolves when told to, or rejects when its signal aborts; records what it saw. */
class Gate extends Module {
  readonly started: string[] = [];
  readonly aborted: string[] = [];
  /** Pending runs per item id (an item runs twice when restarted as a straggler). */
  readonly #waiting = new Map<string, Pending[]>();
  #active = 0;
  maxActive = 0;

  forward(inputs: Fields): Promise<Prediction> {
    const id = String(inputs.id);
    this.started.push(id);
    this.#active++;
    this.maxActive = Math.max(this.maxActive, this.#active);
    const signal = currentSettings().signal;
    return new Promise<Prediction>((resolve, reject) => {
      const entry: Pending = {
        resolve: (p) => {
          if (this.#take(id, entry)) resolve(p);
        },
        reject: (e) => {
          if (this.#take(id, entry)) reject(e);
        },
      };
      this.#waiting.set(id, [...(this.#waiting.get(id) ?? []), entry]);
      signal?.addEventListener(
        "abort",
        () => {
          if (this.#take(id, entry)) {
            this.aborted.push(id);
            reject(new LMAbortedError());
          }
        },
        { once: true },
      );
    });
  }

  /** Resolves the latest run of item `id`. */
  async answer(id: string): Promise<void> {
    await this.until(id);
    this.#waiting
      .get(id)!
      .at(-1)!
      .resolve(new Prediction({ answer: `answer ${id}` }));
  }

  async fail(id: string): Promise<void> {
    await this.until(id);
    this.#waiting
      .get(id)!
      .at(-1)!
      .reject(new Error(`failed ${id}`));
  }

  /** Waits (on the event loop, no timers involved in the assertion) until item `id` is running. */
  async until(id: string): Promise<void> {
    while ((this.#waiting.get(id)?.length ?? 0) === 0) await new Promise((r) => setImmediate(r));
  }

  #take(id: string, entry: Pending): boolean {
    const list = this.#waiting.get(id) ?? [];
    if (!list.includes(entry)) return false;
    this.#waiting.set(
      id,
      list.filter((e) => e !== entry),
    );
    this.#active--;
    return true;
  }
}

interface Pending {
  resolve: (p: Prediction) => void;
  reject: (e: unknown) => void;
}

const pairs = (module: Module, ids: readonly string[]): ExecPair[] => ids.map((id) => [module, { id }] as const);

describe("Parallel", () => {
  it("returns results in input order, with at most numThreads in flight", async () => {
    const gate = new Gate();
    const parallel = new Parallel({ numThreads: 2 });
    const run = parallel.call(pairs(gate, ["a", "b", "c", "d"]));
    await gate.answer("b");
    await gate.answer("c");
    await gate.answer("a");
    await gate.answer("d");
    const results = (await run) as Prediction[];
    assert.deepEqual(
      results.map((r) => r.answer),
      ["answer a", "answer b", "answer c", "answer d"],
    );
    assert.equal(gate.maxActive, 2);
    assert.deepEqual(gate.started, ["a", "b", "c", "d"]);
  });

  it("runs Predict pairs with Examples (inputs()), plain objects and functions", async () => {
    const lm = new ScriptedLM({ Q1: { answer: "A1" }, Q2: { answer: "A2" } });
    const qa = new Predict("question -> answer");
    const example = new Example({ question: "Q1", answer: "gold" }).withInputs("question");
    const results = await context({ lm }, () =>
      new Parallel({ numThreads: 4 }).call([
        [qa, example],
        [qa, { question: "Q2" }],
        [(inputs: Fields) => `fn got ${String(inputs.question)}`, { question: "Q3" }],
      ]),
    );
    assert.equal((results[0] as Prediction).answer, "A1");
    assert.equal((results[1] as Prediction).answer, "A2");
    assert.equal(results[2], "fn got Q3");
    assert.equal(
      contentText(lm.requests[0]!.messages.at(-1)!.content).includes("gold"),
      false,
      "only the inputs are passed",
    );
  });

  it("leaves failed items undefined and can return the failed examples and errors", async () => {
    const gate = new Gate();
    const parallel = new Parallel({ numThreads: 3, maxErrors: 5, returnFailedExamples: true, ...quiet });
    const run = parallel.call(pairs(gate, ["a", "b", "c"]));
    await gate.fail("b");
    await gate.answer("a");
    await gate.answer("c");
    const [results, failed, errors] = await run;
    assert.equal(results[1], undefined);
    assert.equal((results[2] as Prediction).answer, "answer c");
    assert.deepEqual(failed, [{ id: "b" }]);
    assert.equal((errors[0] as Error).message, "failed b");
  });

  it("cancels at maxErrors: the error says how many failed, in-flight items are aborted, queued ones never start", async () => {
    const gate = new Gate();
    const seen: number[] = [];
    const parallel = new Parallel({ numThreads: 3, maxErrors: 2, onError: (_e, i) => seen.push(i) });
    const run = parallel.call(pairs(gate, ["a", "b", "c", "d", "e"]));
    const rejected = assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof ParallelCancelledError);
      assert.match(e.message, /2 of 5 items failed/);
      assert.deepEqual(e.context.failedIndices, [0, 1]);
      return true;
    });
    await gate.fail("a");
    await gate.fail("b");
    await rejected;
    assert.deepEqual(seen, [0, 1]);
    assert.deepEqual(gate.aborted, ["c", "d"]);
    assert.deepEqual(gate.started, ["a", "b", "c", "d"], "e never started");
  });

  it("the caller's AbortSignal cancels the run", async () => {
    const gate = new Gate();
    const controller = new AbortController();
    const run = new Parallel({ numThreads: 2 }).call(pairs(gate, ["a", "b"]), { signal: controller.signal });
    await gate.until("b");
    controller.abort();
    await assert.rejects(run, ParallelCancelledError);
    assert.deepEqual(gate.aborted.sort(), ["a", "b"]);
  });

  it("restarts a straggler once when few items remain; the first to finish wins and the other is aborted", async () => {
    const gate = new Gate();
    const parallel = new Parallel({ numThreads: 4, timeoutMs: 1, stragglerLimit: 1 });
    const run = parallel.call(pairs(gate, ["a", "b"]));
    await gate.answer("a");
    // "b" is the only unfinished item and has overrun its timeout: it is started a second time.
    while (gate.started.filter((id) => id === "b").length < 2) await new Promise((r) => setImmediate(r));
    await gate.answer("b");
    const results = (await run) as Prediction[];
    assert.equal(results[1]!.answer, "answer b");
    assert.deepEqual(gate.aborted, ["b"]);
  });

  it("nests: a Parallel runs a list of pairs", async () => {
    const echo = (inputs: Fields) => inputs.x;
    const inner: ExecPair[] = [
      [echo, { x: 1 }],
      [echo, { x: 2 }],
    ];
    const results = await new Parallel().call([
      [new Parallel(), inner],
      [echo, { x: 3 }],
    ]);
    assert.deepEqual(results, [[1, 2], 3]);
  });

  it("counts an invalid input as a failed item", async () => {
    const results = await new Parallel({ ...quiet }).call([[(i: Fields) => i.x, [] as unknown as Fields]]);
    assert.deepEqual(results, [undefined]);
  });
});

describe("Parallel over a real HTTP LM (loopback server)", () => {
  let server: Loopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  it("aborting on maxErrors closes the other requests' connections", async () => {
    server.setScript((request) => {
      const content = JSON.stringify((request.body as { messages: unknown[] }).messages);
      return content.includes("fail me") ? { kind: "auth" } : { kind: "hang" };
    });
    const lm = openai({ baseURL: server.url, model: "m", apiKey: "sk-test", maxRetries: 0 });
    const qa = new Predict("question -> answer");
    const before = server.requests.length;
    const run = context({ lm, cache: false }, () =>
      new Parallel({ numThreads: 3, maxErrors: 1, ...quiet }).call([
        [qa, { question: "slow 1" }],
        [qa, { question: "slow 2" }],
        [qa, { question: "fail me" }],
      ]),
    );
    await assert.rejects(run, ParallelCancelledError);
    const hung = server.requests.slice(before).filter((r) => !JSON.stringify(r.body).includes("fail me"));
    assert.equal(hung.length, 2);
    await Promise.all(hung.map((r) => r.closed));
    assert.ok(hung.every((r) => r.closedEarly));
  });
});
