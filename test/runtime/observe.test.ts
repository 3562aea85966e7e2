/**
 * observe()'s unobserved path (no callback, no tracing SDK) hands back the work's own promise
 * instead of wrapping it in an async function; it must still behave as the async wrapper did.
 * And the OpenTelemetry API loads only once a provider is registered, not with the package.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { observe, observing, settle } from "../../src/runtime/observe.js";
import { context } from "../../src/runtime/settings.js";

const root = join(import.meta.dirname, "..", "..");

/** A JavaScript-style module whose forward is not async: it throws or returns synchronously. */
class SyncModule extends Module {
  constructor(private readonly fail: boolean) {
    super();
  }
  forward(): Promise<Prediction> {
    if (this.fail) throw new Error("sync failure");
    return { answer: "plain" } as unknown as Promise<Prediction>;
  }
}

describe("observe, unobserved", () => {
  it("is unobserved with no callbacks (an empty list too) and no SDK", () => {
    assert.equal(observing({}), false);
    assert.equal(observing({ callbacks: [] }), false);
    assert.equal(observing({ callbacks: [{}] }), true);
  });

  it("a synchronous throw in forward() comes back as a rejected promise, as from an async call()", async () => {
    const out = new SyncModule(true).call({});
    assert.ok(out instanceof Promise);
    await assert.rejects(out, /sync failure/);
  });

  it("a plain value from a non-async forward() comes back as a promise", async () => {
    const out = new SyncModule(false).call({});
    assert.ok(out instanceof Promise);
    assert.deepEqual(await out, { answer: "plain" });
  });

  it("settle() and observe() keep the work's own promise and turn throws into rejections", async () => {
    const p = Promise.resolve(1);
    assert.equal(
      settle(() => p),
      p,
    );
    assert.equal(
      observe({}, "module", { instance: null, name: "x", inputs: null }, () => p),
      p,
    );
    await assert.rejects(
      observe({}, "module", { instance: null, name: "x", inputs: null }, () => {
        throw new Error("boom");
      }),
      /boom/,
    );
  });

  it("a Predict call without callbacks still answers, and one with callbacks still fires them", async () => {
    const predict = new Predict("question -> answer");
    const lm = new ScriptedLM([{ answer: "a" }, { answer: "b" }]);
    const plain = await context({ lm, cache: false }, () => predict.call({ question: "q" }));
    assert.equal(plain.answer, "a");
    const seen: string[] = [];
    const callbacks = [
      {
        onModuleStart: () => seen.push("module"),
        onLMStart: () => seen.push("lm"),
        onLMEnd: () => seen.push("lm-end"),
        onModuleEnd: () => seen.push("module-end"),
      },
    ];
    const observed = await context({ lm, cache: false, callbacks }, () => predict.call({ question: "q" }));
    assert.equal(observed.answer, "b");
    assert.deepEqual(seen, ["module", "lm", "lm-end", "module-end"]);
  });
});

describe("OpenTelemetry API loading", () => {
  it("is not loaded by importing the package, nor by an unobserved call; it is once a provider is registered", () => {
    const script = `
      import { createRequire } from "node:module";
      const dspex = await import("./src/index.ts");
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("@opentelemetry"));
      const atImport = loaded();
      await dspex.context({ lm: new dspex.ScriptedLM([{ answer: "a" }]), cache: false }, () =>
        new dspex.Predict("question -> answer").call({ question: "q" }));
      const afterCall = loaded();
      const api = createRequire(import.meta.url)("@opentelemetry/api");
      const { tracingEnabled } = await import("./src/runtime/telemetry.ts");
      const before = tracingEnabled();
      api.trace.setGlobalTracerProvider({ getTracer: () => api.trace.getTracer("x") });
      console.log(JSON.stringify({ atImport, afterCall, before, after: tracingEnabled() }));
    `;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, boolean>;
    assert.deepEqual(seen, { atImport: false, afterCall: false, before: false, after: true });
  });
});
