import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { StepTotals, StepTree } from "../../src/cli/step-tree.js";
import { parallel, pipeline, type PipelineEvent, type StepReport } from "../../src/pipeline/index.js";

function sink(tty: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = tty;
  let text = "";
  stream.on("data", (d) => {
    text += String(d);
  });
  return { stream, text: () => text };
}

const report = (name: string, ms: number, lmCalls = 0, tokens = 0, children?: StepReport[]): StepReport => ({
  name,
  status: "ok",
  latencyMs: ms,
  lmCalls,
  cachedCalls: 0,
  tokens,
  ...(children ? { children } : {}),
});

describe("StepTree", () => {
  it("off a terminal prints one compact tree at the end, children under their parent", async () => {
    const out = sink(false);
    const tree = new StepTree({ stream: out.stream, title: "run" });
    const p = pipeline([(s) => ({ a: s.x }), parallel("fan", [() => ({ b: 1 }), () => ({ c: 2 })]), (s) => s]);
    await p.run({ x: 1 }, { onProgress: tree.handle });
    assert.equal(out.text(), "", "nothing is written while the run goes on");
    tree.finish();
    const lines = out.text().trimEnd().split("\n");
    assert.equal(lines[0], "run");
    assert.equal(lines.length, 6);
    assert.match(lines[2]!, /^ok fan\s+[\d.]+ s {2}no LM calls, 0 tokens$/);
    assert.match(lines[3]!, /^ok ├─ fan\[0\]/);
    assert.match(lines[4]!, /^ok └─ fan\[1\]/);
    assert.ok(!out.text().includes("\x1b["), "no escape codes in a log");
  });

  it("on a terminal redraws in place: each draw moves up over the previous one", () => {
    const out = sink(true);
    const tree = new StepTree({ stream: out.stream });
    const at = { step: "refine", path: ["refine"], index: 0, total: 1 };
    tree.handle({ type: "step-start", ...at });
    tree.handle({ type: "step-end", ...at, report: report("refine", 1500, 1, 120) });
    tree.finish();
    const text = out.text();
    assert.match(text, /\x1b\[1F\x1b\[0J/, "cursor up one line and clear before redrawing");
    assert.match(text, /✔.*refine\s+1\.50 s {2}1 LM call, 120 tokens/);
    assert.match(text, /running/);
  });

  it("totals many runs per step, names carrying the run count", () => {
    const totals = new StepTotals();
    for (let i = 0; i < 3; i++) {
      totals.add([report("refine", 1000, 1, 100), report("retrieve", 10, 0, 0, [report("fts", 5), report("vec", 8)])]);
    }
    assert.deepEqual(
      totals.table().map((r) => [r.path, r.runs, r.ms, r.lmCalls, r.tokens]),
      [
        ["refine", 3, 3000, 3, 300],
        ["retrieve", 3, 30, 0, 0],
        ["retrieve/fts", 3, 15, 0, 0],
        ["retrieve/vec", 3, 24, 0, 0],
      ],
    );
    const out = sink(false);
    const tree = new StepTree({ stream: out.stream });
    const events: PipelineEvent[] = totals.events();
    for (const e of events) tree.handle(e);
    tree.finish();
    assert.match(out.text(), /ok refine ×3\s+3\.00 s {2}3 LM calls, 300 tokens/);
    assert.match(out.text(), /ok └─ vec ×3/);
  });
});
