/**
 * Native function calling on the wire, against the loopback servers: OpenAI tools / tool_calls /
 * role "tool" and Anthropic tools / tool_use / tool_result, each also streamed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cacheKey } from "../../src/cache/key.js";
import { anthropic, type LMStreamChunk, type Message, openai, type ToolCall } from "../../src/lm/index.js";
import { Tool } from "../../src/tools/index.js";
import { type AnthropicLoopback, start as startAnthropic } from "../helpers/loopback-anthropic.js";
import { type Loopback, start as startOpenAI } from "../helpers/loopback-openai.js";

const weather = new Tool({
  name: "weather",
  description: "Current weather in a city.",
  parameters: {
    type: "object",
    properties: { city: { type: "string" }, unit: { type: "string", default: "C" } },
    required: ["city"],
  },
  fn: ({ city }: { city: string }) => `sunny in ${city}`,
});

const question: Message[] = [{ role: "user", content: "Weather in Paris and Rome?" }];
const calls: ToolCall[] = [
  { id: "call_1", name: "weather", args: { city: "Paris" } },
  { id: "call_2", name: "weather", args: { city: "Rome", unit: "F" } },
];
const followUp: Message[] = [
  ...question,
  { role: "assistant", content: "", toolCalls: calls },
  { role: "tool", toolCallId: "call_1", name: "weather", content: "sunny in Paris" },
  { role: "tool", toolCallId: "call_2", name: "weather", content: "rain in Rome" },
];

async function collect(stream: AsyncIterable<LMStreamChunk>): Promise<LMStreamChunk[]> {
  const out: LMStreamChunk[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe("OpenAI tools / tool_calls", () => {
  let server: Loopback;
  before(async () => {
    server = await startOpenAI();
  });
  after(() => server.close());
  const lm = () => openai({ baseURL: server.url, apiKey: "sk-test", model: "gpt-test" });
  const wireCalls = calls.map((c) => ({ id: c.id!, name: c.name, arguments: JSON.stringify(c.args) }));

  it("sends DSPy's function-call tools and reads tool_calls back, arguments parsed", async () => {
    server.setScript([{ kind: "toolCalls", calls: wireCalls }]);
    const res = await lm().generate({
      messages: question,
      tools: [weather.formatAsFunctionCall()],
      toolChoice: "auto",
      parallelToolCalls: true,
    });
    const body = server.requests.at(-1)!.body as Record<string, unknown>;
    assert.deepEqual(body.tools, [
      {
        type: "function",
        function: {
          name: "weather",
          description: "Current weather in a city.",
          parameters: {
            type: "object",
            properties: { city: { type: "string" }, unit: { type: "string", default: "C" } },
            required: ["city"],
          },
        },
      },
    ]);
    assert.equal(body.tool_choice, "auto");
    assert.equal(body.parallel_tool_calls, true);
    assert.deepEqual(res.outputs, [""]);
    assert.deepEqual(res.toolCalls, [calls]);
    assert.deepEqual(res.finishReasons, ["tool_calls"]);
  });

  it("sends tool results back as assistant tool_calls and role tool messages", async () => {
    server.setScript([{ kind: "completion", outputs: "Paris is sunny, Rome rainy." }]);
    const res = await lm().generate({ messages: followUp, tools: [weather.formatAsFunctionCall()] });
    assert.equal(res.outputs[0], "Paris is sunny, Rome rainy.");
    assert.equal(res.toolCalls, undefined);
    const body = server.requests.at(-1)!.body as { messages: unknown[] };
    assert.deepEqual(body.messages.slice(1), [
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "call_2", type: "function", function: { name: "weather", arguments: '{"city":"Rome","unit":"F"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny in Paris", name: "weather" },
      { role: "tool", tool_call_id: "call_2", content: "rain in Rome", name: "weather" },
    ]);
  });

  it("streams tool calls: deltas gathered by index into whole calls before the finish", async () => {
    server.setScript([{ kind: "toolCalls", calls: wireCalls, stream: true }]);
    const chunks = await collect(lm().stream({ messages: question, tools: [weather.formatAsFunctionCall()] }));
    const withCalls = chunks.filter((c) => c.toolCalls !== undefined);
    assert.equal(withCalls.length, 1);
    assert.deepEqual(withCalls[0]!.toolCalls, calls);
    assert.equal(chunks.at(-1)?.finishReason, "tool_calls");
    assert.equal((server.requests.at(-1)!.body as { stream: boolean }).stream, true);
  });

  it("a broken arguments string is repaired as DSPy's json_repair does", async () => {
    server.setScript([{ kind: "toolCalls", calls: [{ id: "c", name: "weather", arguments: "{'city': 'Oslo'," }] }]);
    const res = await lm().generate({ messages: question, tools: [weather.formatAsFunctionCall()] });
    assert.deepEqual(res.toolCalls?.[0], [{ id: "c", name: "weather", args: { city: "Oslo" } }]);
  });
});

describe("Anthropic tools / tool_use / tool_result", () => {
  let server: AnthropicLoopback;
  before(async () => {
    server = await startAnthropic();
  });
  after(() => server.close());
  const lm = () => anthropic({ baseURL: server.url, apiKey: "sk-ant-test", model: "claude-test" });
  const uses = calls.map((c) => ({ id: c.id!, name: c.name, input: c.args }));

  it("sends tools with input_schema and reads tool_use blocks", async () => {
    server.setScript([{ kind: "toolUse", text: "Let me check.", uses }]);
    const res = await lm().generate({
      messages: question,
      tools: [weather.formatAsFunctionCall()],
      toolChoice: "required",
      parallelToolCalls: false,
    });
    const body = server.requests.at(-1)!.body as Record<string, unknown>;
    assert.deepEqual(body.tools, [
      {
        name: "weather",
        description: "Current weather in a city.",
        input_schema: {
          type: "object",
          properties: { city: { type: "string" }, unit: { type: "string", default: "C" } },
          required: ["city"],
        },
      },
    ]);
    assert.deepEqual(body.tool_choice, { type: "any", disable_parallel_tool_use: true });
    assert.deepEqual(res.outputs, ["Let me check."]);
    assert.deepEqual(res.toolCalls, [calls]);
    assert.deepEqual(res.finishReasons, ["tool_use"]);
  });

  it("sends tool results as tool_result blocks in one user turn after the assistant's tool_use", async () => {
    server.setScript([{ kind: "message", text: "Sunny and rainy." }]);
    await lm().generate({ messages: followUp, tools: [weather.formatAsFunctionCall()] });
    const body = server.requests.at(-1)!.body as { messages: unknown[] };
    assert.deepEqual(body.messages, [
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "weather", input: { city: "Rome", unit: "F" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "sunny in Paris" },
          { type: "tool_result", tool_use_id: "call_2", content: "rain in Rome" },
        ],
      },
    ]);
  });

  it("streams tool_use: input_json_delta pieces joined into the calls before the stop reason", async () => {
    server.setScript([{ kind: "toolUse", text: "Checking.", uses, stream: true }]);
    const chunks = await collect(lm().stream({ messages: question, tools: [weather.formatAsFunctionCall()] }));
    assert.equal(chunks.map((c) => c.delta).join(""), "Checking.");
    const withCalls = chunks.filter((c) => c.toolCalls !== undefined);
    assert.equal(withCalls.length, 1);
    assert.deepEqual(withCalls[0]!.toolCalls, calls);
    const finish = chunks.findIndex((c) => c.finishReason === "tool_use");
    assert.ok(finish > chunks.indexOf(withCalls[0]!));
  });
});

describe("tools in cache keys", () => {
  it("the same messages with other tools are another request; without tools the key is unchanged", () => {
    const ctx = { provider: "openai", model: "m" };
    const plain = cacheKey({ messages: question }, ctx);
    const withTool = cacheKey({ messages: question, tools: [weather.formatAsFunctionCall()] }, ctx);
    const other = new Tool({ name: "other", fn: () => 1 });
    assert.notEqual(plain, withTool);
    assert.notEqual(withTool, cacheKey({ messages: question, tools: [other.formatAsFunctionCall()] }, ctx));
    assert.notEqual(
      withTool,
      cacheKey({ messages: question, tools: [weather.formatAsFunctionCall()], toolChoice: "required" }, ctx),
    );
    assert.equal(plain, cacheKey({ messages: [{ role: "user", content: "Weather in Paris and Rome?" }] }, ctx));
  });
});
