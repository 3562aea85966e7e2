import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/index.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import type { LM, LMRequest, LMResponse } from "../../src/lm/types.js";
import { collectingLogger } from "./helpers.js";
import { contentText } from "../../src/lm/compat.js";

interface PredictResult {
  outputs: Record<string, unknown>;
  usage: Record<string, number> | null;
  model: string | null;
}

/** Real DSPy 3.4.1 in the worker; its LM calls are served by an LM that lives in Node. */
describe("real dspy.Predict in a worker, served by a Node LM", () => {
  let pool: PythonPool;
  const logger = collectingLogger();
  const lm = new ScriptedLM({ France: { answer: "Paris" }, Italy: { answer: "Rome" } }, { model: "scripted-1" });

  before(async () => {
    pool = await PythonPool.start({ name: "dspy", size: 1, testTools: true, lm, logger });
  });
  after(() => pool.close());

  it("imports the pinned DSPy and says so when ready", () => {
    assert.equal(pool.stats().workers[0]?.dspy, "3.4.1");
  });

  it("runs dspy.Predict with the Node LM: DSPy's prompt goes to Node, the parsed answer comes back", async () => {
    const result = await pool.call<PredictResult>("predict", {
      signature: "question -> answer",
      inputs: { question: "What is the capital of France?" },
    });
    assert.deepEqual(result.outputs, { answer: "Paris" });
    assert.equal(result.model, "scripted-1");
    assert.ok((result.usage?.prompt_tokens ?? 0) > 0 && (result.usage?.total_tokens ?? 0) > 0);
    const request = lm.requests.at(-1)!;
    assert.equal(request.messages[0]?.role, "system");
    assert.match(contentText(request.messages[0]?.content ?? ""), /Your input fields are:\n1\. `question` \(str\)/);
    assert.match(
      contentText(request.messages.at(-1)?.content ?? ""),
      /\[\[ ## question ## \]\]\nWhat is the capital of France\?/,
    );
  });

  it("uses the call's own LM when given one, and never sends credentials to Python", async () => {
    const seen: LMRequest[] = [];
    const keyed: LM & { apiKey: string } = {
      specificationVersion: "v1",
      provider: "test",
      model: "per-call",
      apiKey: "sk-secret-stays-in-node",
      async generate(request): Promise<LMResponse> {
        seen.push(request);
        return {
          outputs: ["[[ ## answer ## ]]\nfrom the call's LM\n\n[[ ## completed ## ]]"],
          usage: { promptTokens: 7, completionTokens: 4, totalTokens: 11 },
          model: "per-call",
          cached: false,
        };
      },
      async *stream() {},
    };
    const result = await pool.call<PredictResult>(
      "predict",
      { signature: "question -> answer", inputs: { question: "Italy?" } },
      { lm: keyed },
    );
    assert.equal(result.outputs.answer, "from the call's LM");
    assert.deepEqual(result.usage, { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 });
    assert.equal(seen.length, 1);
    const env = await pool.call<string[]>("env_names");
    assert.ok(!env.some((n) => /API_?KEY/i.test(n)));
  });

  it("keeps the level of DSPy's log records: INFO is info, not a stderr warning", async () => {
    await pool.call("log_dspy", { what: "levels" });
    const mine = logger.lines.filter((l) => l.message.includes(": levels"));
    const byLevel = Object.fromEntries(mine.map((l) => [l.message.split(":")[0], l.level]));
    // DSPy's loggers stop at INFO (its configure_dspy_loggers), so the debug record is not sent.
    assert.deepEqual(byLevel, { info: "info", warning: "warn", error: "error" });
    for (const line of mine) {
      assert.equal(line.fields?.logger, "dspy.teleprompt.dspex_test");
      assert.equal(line.fields?.stream, undefined, "a log frame, not a stderr line");
    }
  });
});
