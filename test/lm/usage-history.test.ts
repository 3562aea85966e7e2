import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  LMHistory,
  type HistoryEntry,
  formatHistory,
  type Message,
  openai,
  printHistory,
  pythonTimestamp,
  ScriptedLM,
  UsageTracker,
  withTracking,
} from "../../src/lm/index.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

interface Golden {
  history: { messages: Message[]; outputs: string[]; timestamp: string }[];
  inspect_colors_2: string;
  inspect_plain_1: string;
  inspect_plain_5: string;
}
const golden = JSON.parse(readFileSync(new URL("./fixtures/dspy-golden.json", import.meta.url), "utf8")) as Golden;

const entry = (i: number, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  timestamp: `t${i}`,
  model: "m",
  provider: "p",
  messages: [{ role: "user", content: `q${i}` }],
  outputs: [`a${i}`],
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  cached: false,
  durationMs: 0,
  ...extra,
});

describe("UsageTracker", () => {
  it("aggregates per model and in total, not counting cached calls' tokens", () => {
    const t = new UsageTracker();
    t.add("gpt", { promptTokens: 10, completionTokens: 5, totalTokens: 15 }, { provider: "openai" });
    t.add("gpt", { promptTokens: 2, completionTokens: 3, totalTokens: 5 }, { provider: "openai" });
    t.add("claude", { promptTokens: 7, completionTokens: 1, totalTokens: 8 }, { provider: "anthropic" });
    t.add("gpt", { promptTokens: 100, completionTokens: 100, totalTokens: 200 }, { provider: "openai", cached: true });
    const snap = t.snapshot();
    assert.deepEqual(snap.total, { promptTokens: 19, completionTokens: 9, totalTokens: 28, calls: 4, cachedCalls: 1 });
    assert.deepEqual(snap.byModel["openai/gpt"], {
      promptTokens: 12,
      completionTokens: 8,
      totalTokens: 20,
      calls: 3,
      cachedCalls: 1,
    });
    assert.deepEqual(snap.byModel["anthropic/claude"], {
      promptTokens: 7,
      completionTokens: 1,
      totalTokens: 8,
      calls: 1,
      cachedCalls: 0,
    });
    assert.deepEqual(snap.lastCall, {
      model: "openai/gpt",
      usage: { promptTokens: 100, completionTokens: 100, totalTokens: 200 },
      cached: true,
    });
    // Snapshots are copies.
    snap.total.calls = 99;
    assert.equal(t.total.calls, 4);
  });

  it("merges other trackers and snapshots, and resets", () => {
    const a = new UsageTracker();
    const b = new UsageTracker();
    a.add("m", { promptTokens: 1, completionTokens: 2, totalTokens: 3 });
    b.add("m", { promptTokens: 4, completionTokens: 5, totalTokens: 9 });
    b.add("n", { promptTokens: 1, completionTokens: 1, totalTokens: 2 });
    a.merge(b);
    a.merge(b.snapshot());
    const snap = a.snapshot();
    assert.deepEqual(snap.byModel.m, {
      promptTokens: 9,
      completionTokens: 12,
      totalTokens: 21,
      calls: 3,
      cachedCalls: 0,
    });
    assert.deepEqual(snap.total, { promptTokens: 11, completionTokens: 14, totalTokens: 25, calls: 5, cachedCalls: 0 });
    a.reset();
    assert.deepEqual(a.snapshot(), {
      total: { promptTokens: 0, completionTokens: 0, totalTokens: 0, calls: 0, cachedCalls: 0 },
      byModel: {},
      lastCall: undefined,
    });
  });
});

describe("LMHistory", () => {
  it("is a ring buffer capped at 1000 by default", () => {
    const h = new LMHistory();
    assert.equal(h.cap, 1000);
    for (let i = 0; i < 1005; i++) h.add(entry(i));
    assert.equal(h.size, 1000);
    const all = h.entries();
    assert.equal(all[0]?.timestamp, "t5");
    assert.equal(all.at(-1)?.timestamp, "t1004");
    assert.deepEqual(
      h.last(2).map((e) => e.timestamp),
      ["t1003", "t1004"],
    );
  });

  it("honours a custom cap and clears", () => {
    const h = new LMHistory(3);
    for (let i = 0; i < 7; i++) h.add(entry(i));
    assert.deepEqual(
      [...h].map((e) => e.timestamp),
      ["t4", "t5", "t6"],
    );
    h.clear();
    assert.equal(h.size, 0);
    assert.throws(() => new LMHistory(0), RangeError);
  });

  it("formats Python isoformat timestamps", () => {
    assert.equal(pythonTimestamp(new Date(2025, 0, 2, 3, 4, 5, 678)), "2025-01-02T03:04:05.678000");
    assert.equal(pythonTimestamp(new Date(2025, 0, 2, 3, 4, 6, 0)), "2025-01-02T03:04:06");
  });
});

describe("inspectHistory (golden text from DSPy's pretty_print_history)", () => {
  const h = new LMHistory(10);
  for (const g of golden.history) h.add(entry(0, { messages: g.messages, outputs: g.outputs, timestamp: g.timestamp }));

  it("matches DSPy with ANSI colours", () => {
    assert.equal(formatHistory(2, h), golden.inspect_colors_2);
  });

  it("matches DSPy without colours, for n below and above the size", () => {
    assert.equal(formatHistory(1, h, { colors: false }), golden.inspect_plain_1);
    assert.equal(formatHistory(5, h.entries(), { colors: false }), golden.inspect_plain_5);
  });

  it("printHistory writes the same text", () => {
    let written = "";
    printHistory(2, h, { write: (t) => (written += t) });
    assert.equal(written, golden.inspect_colors_2);
  });
});

describe("withTracking", () => {
  let server: Loopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  it("records generate and stream calls into history and usage", async () => {
    const history = new LMHistory(10);
    const usage = new UsageTracker();
    const lm = withTracking(new ScriptedLM([{ answer: "a" }, { answer: "b" }]), { history, usage });
    await lm.generate({ messages: [{ role: "user", content: "one two" }] });
    for await (const _ of lm.stream({ messages: [{ role: "user", content: "three" }] })) {
      // drain
    }
    assert.equal(history.size, 2);
    assert.deepEqual(history.last(1)[0]?.outputs, ["[[ ## answer ## ]]\nb\n\n[[ ## completed ## ]]"]);
    assert.equal(history.last(1)[0]?.provider, "scripted");
    assert.equal(usage.total.calls, 2);
    assert.equal(usage.total.promptTokens, 3);
    assert.match(formatHistory(1, history, { colors: false }), /User message:\n\nthree\n/);
  });

  it("keeps the API key out of the history even if a prompt contains it", async () => {
    const key = "sk-history-secret-000111222";
    const history = new LMHistory();
    server.setScript([{ kind: "completion", outputs: `echo ${key}` }]);
    const lm = withTracking(openai({ baseURL: server.url, apiKey: key, model: "m" }), { history, secrets: [key] });
    await lm.generate({ messages: [{ role: "user", content: `my key is ${key}` }] });
    const text = JSON.stringify(history.entries()) + formatHistory(1, history);
    assert.ok(!text.includes(key));
    assert.match(text, /my key is \[REDACTED\]/);
  });
});
