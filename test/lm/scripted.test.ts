import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  LMAbortedError,
  type LMStreamChunk,
  type Message,
  ScriptedLM,
  ScriptedLMExhaustedError,
} from "../../src/lm/index.js";

interface Golden {
  records: Record<string, unknown>[];
  chat: string[];
  json: string[];
  follow: { messages: Message[]; output: string }[];
}

const golden = JSON.parse(readFileSync(new URL("./fixtures/dspy-golden.json", import.meta.url), "utf8")) as Golden;
const ask = (content: string): Message[] => [{ role: "user", content }];

describe("ScriptedLM (DSPy DummyLM semantics)", () => {
  it("formats answer records exactly as DummyLM with ChatAdapter (no completed marker)", () => {
    const lm = new ScriptedLM([], { completedMarker: false });
    for (const [i, record] of golden.records.entries()) assert.equal(lm.format(record), golden.chat[i]);
  });

  it("appends [[ ## completed ## ]] by default", () => {
    const lm = new ScriptedLM();
    for (const [i, record] of golden.records.entries()) {
      assert.equal(lm.format(record), `${golden.chat[i]}\n\n[[ ## completed ## ]]`);
    }
  });

  it("formats records exactly as DummyLM with JSONAdapter when format is json", () => {
    const lm = new ScriptedLM([], { format: "json" });
    for (const [i, record] of golden.records.entries()) assert.equal(lm.format(record), golden.json[i]);
  });

  it("consumes a list in order, one answer per completion, then throws a typed error", async () => {
    const lm = new ScriptedLM([{ answer: "red" }, "plain text verbatim", { answer: "x" }, { answer: "y" }]);
    assert.deepEqual((await lm.generate({ messages: ask("q1") })).outputs, [
      "[[ ## answer ## ]]\nred\n\n[[ ## completed ## ]]",
    ]);
    assert.deepEqual((await lm.generate({ messages: ask("q2") })).outputs, ["plain text verbatim"]);
    assert.equal(lm.remaining, 2);
    const both = await lm.generate({ messages: ask("q3"), n: 2 });
    assert.equal(both.outputs.length, 2);
    assert.equal(lm.remaining, 0);
    const err = await lm.generate({ messages: ask("q4") }).catch((e: unknown) => e);
    assert.ok(err instanceof ScriptedLMExhaustedError);
    assert.match(err.message, /run out of answers: all 4 were used/);
    assert.equal(lm.requests.length, 4);
    assert.deepEqual(lm.requests[2], { messages: ask("q3"), n: 2 });
  });

  it("answers from a map keyed by a substring of the last message, then of the whole prompt", async () => {
    const lm = new ScriptedLM({
      "color is the sky": { answer: "blue" },
      France: { answer: "Paris" },
      "SYSTEM-ONLY": "from the system prompt",
    });
    const sky = await lm.generate({ messages: ask("What color is the sky?") });
    assert.deepEqual(sky.outputs, ["[[ ## answer ## ]]\nblue\n\n[[ ## completed ## ]]"]);
    // Map answers are reusable.
    assert.deepEqual((await lm.generate({ messages: ask("capital of France") })).outputs, [
      "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]",
    ]);
    assert.deepEqual((await lm.generate({ messages: ask("France again") })).outputs.length, 1);
    const whole = await lm.generate({
      messages: [
        { role: "system", content: "SYSTEM-ONLY rules" },
        { role: "user", content: "nothing matching" },
      ],
    });
    assert.deepEqual(whole.outputs, ["from the system prompt"]);
    await assert.rejects(lm.generate({ messages: ask("unmatched") }), ScriptedLMExhaustedError);
  });

  it("followExamples answers with the matching demo's outputs (golden from DummyLM)", async () => {
    for (const { messages, output } of golden.follow) {
      const lm = new ScriptedLM([], { followExamples: true });
      assert.deepEqual((await lm.generate({ messages })).outputs, [output]);
    }
  });

  it("followExamples falls back to the list when no demo matches, then throws", async () => {
    const first = golden.follow[0];
    assert.ok(first);
    const messages = [
      ...first.messages.slice(0, -1),
      { role: "user" as const, content: "[[ ## question ## ]]\nUnseen?" },
    ];
    const lm = new ScriptedLM([{ answer: "fallback" }], { followExamples: true });
    assert.deepEqual((await lm.generate({ messages })).outputs, [
      "[[ ## answer ## ]]\nfallback\n\n[[ ## completed ## ]]",
    ]);
    await assert.rejects(lm.generate({ messages }), /no demo matched/);
  });

  it("reports usage estimated by whitespace word counts", async () => {
    const lm = new ScriptedLM(["one two three"]);
    const res = await lm.generate({
      messages: [
        { role: "system", content: "a b" },
        { role: "user", content: " c\td\n e " },
      ],
    });
    assert.deepEqual(res.usage, { promptTokens: 5, completionTokens: 3, totalTokens: 8 });
    assert.equal(res.cached, false);
    assert.equal(res.model, "scripted");
  });

  it("streams the answer in a few chunks, then usage", async () => {
    const lm = new ScriptedLM([{ answer: "streamed ✓ text" }]);
    const chunks: LMStreamChunk[] = [];
    for await (const c of lm.stream({ messages: ask("q") })) chunks.push(c);
    const text = chunks.map((c) => c.delta).join("");
    assert.equal(text, "[[ ## answer ## ]]\nstreamed ✓ text\n\n[[ ## completed ## ]]");
    assert.ok(chunks.filter((c) => c.delta !== "").length >= 3);
    assert.equal(chunks.find((c) => c.finishReason)?.finishReason, "stop");
    assert.ok(chunks.at(-1)?.usage);
  });

  it("honours abort signals", async () => {
    const lm = new ScriptedLM(["x"], { latencyMs: 1000 });
    const controller = new AbortController();
    const pending = lm.generate({ messages: ask("q"), signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, LMAbortedError);
    await assert.rejects(lm.generate({ messages: ask("q"), signal: AbortSignal.abort() }), LMAbortedError);
  });

  it("merges its defaults under each request", async () => {
    const lm = new ScriptedLM(["x"], { defaults: { temperature: 0.3, n: 1 } });
    await lm.generate({ messages: ask("q"), temperature: 1 });
    assert.deepEqual(lm.requests[0], { messages: ask("q"), temperature: 1, n: 1 });
  });
});
