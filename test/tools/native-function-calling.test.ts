/**
 * Predict with `useNativeFunctionCalling`: the Tool input and ToolCalls output leave the prompt,
 * the tools reach the provider as function tools, and the LM's calls come back as ToolCalls
 * whose `execute()` runs the TypeScript tools. Against the loopback servers, streamed too.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { ChatAdapter, JSONAdapter } from "../../src/adapters/index.js";
import { anthropic, contentText, openai, ScriptedLM } from "../../src/lm/index.js";
import { context, Predict } from "../../src/modules/index.js";
import { streamify } from "../../src/stream/index.js";
import { Tool, ToolCalls, ToolDefinitionError, ToolExecutionError } from "../../src/tools/index.js";
import { type AnthropicLoopback, start as startAnthropic } from "../helpers/loopback-anthropic.js";
import { type Loopback, start as startOpenAI } from "../helpers/loopback-openai.js";

const weather = new Tool({
  name: "weather",
  description: "Current weather in a city.",
  parameters: z.object({ city: z.string() }),
  fn: ({ city }: { city: string }) => `sunny in ${city}`,
});
const SPEC = "question, tools: list[Tool] -> answer, tool_calls: ToolCalls";

describe("native function calling through Predict", () => {
  let oa: Loopback;
  let an: AnthropicLoopback;
  before(async () => {
    oa = await startOpenAI();
    an = await startAnthropic();
  });
  after(async () => {
    await oa.close();
    await an.close();
  });

  for (const adapter of [
    new ChatAdapter({ useNativeFunctionCalling: true }),
    new JSONAdapter({ useNativeFunctionCalling: true }),
  ]) {
    it(`${adapter.name}: OpenAI tool_calls become ToolCalls; execute() runs the tool`, async () => {
      oa.setScript([{ kind: "toolCalls", calls: [{ id: "c1", name: "weather", arguments: '{"city": "Paris"}' }] }]);
      const lm = openai({ baseURL: oa.url, apiKey: "sk-test", model: "gpt-test" });
      const predict = new Predict(SPEC);
      const out = await context({ lm, adapter, cache: false }, () =>
        predict.call({ question: "Weather in Paris?", tools: [weather] }),
      );
      assert.ok(out.tool_calls instanceof ToolCalls);
      assert.deepEqual((out.tool_calls as ToolCalls).toJSON(), {
        tool_calls: [{ name: "weather", args: { city: "Paris" } }],
      });
      assert.equal(out.answer, null);
      assert.deepEqual(await (out.tool_calls as ToolCalls).execute([weather]), ["sunny in Paris"]);
      const body = oa.requests.at(-1)!.body as { tools: unknown; messages: { content: unknown }[] };
      assert.deepEqual(body.tools, [weather.formatAsFunctionCall()]);
      // Neither the tools nor the tool_calls field has a section in the prompt (the default
      // instructions still name them, as DSPy's signature.delete() keeps instructions).
      const prompt = body.messages.map((m) => contentText(m.content as string)).join("\n");
      assert.doesNotMatch(prompt, /## tools ##|## tool_calls ##|weather/);
      assert.match(prompt, /\[\[ ## question ## \]\]\nWeather in Paris\?/);
    });
  }

  it("a text answer without calls parses as usual and leaves tool_calls null", async () => {
    oa.setScript([{ kind: "completion", outputs: "[[ ## answer ## ]]\nIt is sunny.\n\n[[ ## completed ## ]]" }]);
    const lm = openai({ baseURL: oa.url, apiKey: "sk-test", model: "gpt-test" });
    const out = await context({ lm, adapter: new ChatAdapter({ useNativeFunctionCalling: true }), cache: false }, () =>
      new Predict(SPEC).call({ question: "Weather?", tools: [weather] }),
    );
    assert.equal(out.answer, "It is sunny.");
    assert.equal(out.tool_calls, null);
  });

  it("Anthropic tool_use, streamed through streamify, becomes ToolCalls", async () => {
    an.setScript([
      { kind: "toolUse", uses: [{ id: "toolu_1", name: "weather", input: { city: "Rome" } }], stream: true },
    ]);
    const lm = anthropic({ baseURL: an.url, apiKey: "sk-ant", model: "claude-test" });
    const predict = new Predict(SPEC);
    const program = streamify(predict);
    let prediction: Record<string, unknown> | undefined;
    await context({ lm, adapter: new ChatAdapter({ useNativeFunctionCalling: true }), cache: false }, async () => {
      for await (const event of program({ question: "Weather in Rome?", tools: [weather] })) {
        if ((event as { type?: string }).type === "prediction") {
          prediction = (event as unknown as { prediction: Record<string, unknown> }).prediction;
        }
      }
    });
    assert.ok(prediction, "the stream ends with the prediction");
    const calls = prediction.tool_calls as ToolCalls;
    assert.ok(calls instanceof ToolCalls);
    assert.deepEqual(
      calls.toolCalls.map((c) => [c.id, c.name, c.args]),
      [["toolu_1", "weather", { city: "Rome" }]],
    );
    assert.deepEqual(await calls.execute({ weather: ({ city }: { city: string }) => `hot in ${city}` }), [
      "hot in Rome",
    ]);
    assert.equal((an.requests.at(-1)!.body as { stream: boolean }).stream, true);
  });

  it("without native calling (or an LM that cannot), tools stay in the prompt", async () => {
    const lm = new ScriptedLM([
      { answer: "a", tool_calls: '{"tool_calls": [{"name": "weather", "args": {"city": "Oslo"}}]}' },
    ]);
    const out = await context({ lm, adapter: new ChatAdapter({ useNativeFunctionCalling: true }) }, () =>
      new Predict(SPEC).call({ question: "q", tools: [weather] }),
    );
    assert.match(
      contentText(lm.requests[0]!.messages.at(-1)!.content),
      /weather, whose description is <desc>Current weather in a city\.<\/desc>/,
    );
    assert.deepEqual((out.tool_calls as ToolCalls).toJSON(), {
      tool_calls: [{ name: "weather", args: { city: "Oslo" } }],
    });
  });

  it("typed errors: a ToolCalls output without tools, an unknown tool, a failing tool", async () => {
    const lm = openai({ baseURL: oa.url, apiKey: "sk-test", model: "gpt-test" });
    await assert.rejects(
      context({ lm, adapter: new ChatAdapter({ useNativeFunctionCalling: true }) }, () =>
        new Predict("question -> tool_calls: ToolCalls").call({ question: "q" }),
      ),
      ToolDefinitionError,
    );
    const calls = ToolCalls.fromDictList([{ id: "x", function: { name: "nope", arguments: "{}" } }]);
    await assert.rejects(calls.execute([weather]), /Tool function 'nope' not found/);
    const broken = ToolCalls.fromDictList([{ name: "weather", args: { city: 3 } }]);
    await assert.rejects(broken.execute([weather]), ToolExecutionError);
  });
});
