/**
 * Native function calling on the wire: OpenAI's `tools` / `tool_calls` / role "tool", and
 * Anthropic's `tools` / `tool_use` / `tool_result`. Arguments arrive as JSON text (OpenAI) and
 * are parsed the way DSPy does (`json_repair.loads`), so a slightly broken argument string still
 * yields the call.
 */
import { repairJsonLoads } from "../py/json-repair.js";
import { toPlain } from "../py/builtins.js";
import { isRecord } from "./request.js";
import type { LMRequest, Message, ToolCall, ToolChoice } from "./types.js";

export function parseArguments(text: unknown): Record<string, unknown> {
  if (isRecord(text)) return text;
  if (typeof text !== "string" || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = toPlain(repairJsonLoads(text));
    } catch {
      value = undefined;
    }
  }
  return isRecord(value) ? value : {};
}

/** OpenAI: the request's tool fields. */
export function openAIToolFields(request: LMRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (request.tools !== undefined && request.tools.length > 0) out.tools = request.tools;
  if (request.toolChoice !== undefined) out.tool_choice = openAIToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) out.parallel_tool_calls = request.parallelToolCalls;
  return out;
}

function openAIToolChoice(choice: ToolChoice): unknown {
  return typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
}

/** OpenAI: one message on the wire (assistant tool calls, tool results). */
export function openAIMessage(m: Message): Record<string, unknown> {
  if (m.role === "tool") {
    const out: Record<string, unknown> = { role: "tool", tool_call_id: m.toolCallId ?? "", content: m.content };
    if (m.name !== undefined) out.name = m.name;
    return out;
  }
  if (m.role === "assistant" && m.toolCalls !== undefined && m.toolCalls.length > 0) {
    return {
      role: "assistant",
      content: m.content === "" ? null : m.content,
      tool_calls: m.toolCalls.map((c, i) => ({
        id: c.id ?? `call_${i}`,
        type: "function",
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      })),
    };
  }
  return { role: m.role, content: m.content };
}

/** OpenAI: a response message's tool_calls, if any. */
export function openAIToolCalls(message: unknown): ToolCall[] | undefined {
  if (!isRecord(message) || !Array.isArray(message.tool_calls) || message.tool_calls.length === 0) return undefined;
  return message.tool_calls.map((c): ToolCall => {
    const call = isRecord(c) ? c : {};
    const fn = isRecord(call.function) ? call.function : {};
    const out: ToolCall = { name: typeof fn.name === "string" ? fn.name : "", args: parseArguments(fn.arguments) };
    if (typeof call.id === "string") out.id = call.id;
    return out;
  });
}

/** Accumulates streamed OpenAI tool-call deltas (by choice, then by call index). */
export class OpenAIToolCallAccumulator {
  readonly #calls = new Map<number, Map<number, { id?: string; name: string; args: string }>>();

  feed(choiceIndex: number, delta: unknown): void {
    if (!isRecord(delta) || !Array.isArray(delta.tool_calls)) return;
    let calls = this.#calls.get(choiceIndex);
    if (calls === undefined) {
      calls = new Map();
      this.#calls.set(choiceIndex, calls);
    }
    for (const d of delta.tool_calls) {
      if (!isRecord(d)) continue;
      const index = typeof d.index === "number" ? d.index : calls.size;
      let call = calls.get(index);
      if (call === undefined) {
        call = { name: "", args: "" };
        calls.set(index, call);
      }
      if (typeof d.id === "string") call.id = d.id;
      const fn = isRecord(d.function) ? d.function : {};
      if (typeof fn.name === "string") call.name += fn.name;
      if (typeof fn.arguments === "string") call.args += fn.arguments;
    }
  }

  /** The complete calls of a choice, once it finished. */
  take(choiceIndex: number): ToolCall[] | undefined {
    const calls = this.#calls.get(choiceIndex);
    if (calls === undefined) return undefined;
    this.#calls.delete(choiceIndex);
    return [...calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, c]) => ({ ...(c.id === undefined ? {} : { id: c.id }), name: c.name, args: parseArguments(c.args) }));
  }
}

/** Anthropic: the request's tool fields. */
export function anthropicToolFields(request: LMRequest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (request.tools !== undefined && request.tools.length > 0) {
    out.tools = request.tools.map((t) => ({
      name: t.function.name,
      description: t.function.description,
      input_schema: t.function.parameters,
    }));
  }
  const choice = request.toolChoice;
  let wire: Record<string, unknown> | undefined;
  if (choice === "auto") wire = { type: "auto" };
  else if (choice === "required") wire = { type: "any" };
  else if (choice === "none") wire = { type: "none" };
  else if (choice !== undefined) wire = { type: "tool", name: choice.name };
  if (request.parallelToolCalls === false) wire = { ...(wire ?? { type: "auto" }), disable_parallel_tool_use: true };
  if (wire !== undefined) out.tool_choice = wire;
  return out;
}
