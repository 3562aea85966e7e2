/**
 * DSPy's native function calling (`Adapter._call_preprocess` / `_call_postprocess` with
 * `use_native_function_calling`): when a signature has a Tool input and a ToolCalls output and
 * the LM can call functions, both fields leave the prompt, the tools go to the LM as function
 * tools, and the LM's tool calls come back as the ToolCalls output.
 */
import type { FunctionToolSpec, LM, ToolCall } from "../lm/types.js";
import type { Signature } from "../signature/signature.js";
import { ToolDefinitionError } from "../tools/errors.js";
import { Tool } from "../tools/tool.js";
import { ToolCalls } from "../tools/tool-calls.js";
import { AdapterParseError } from "./errors.js";
import { has, toValues } from "./records.js";
import type { Adapter, FieldValues } from "./types.js";

export interface NativeToolPlan {
  /** The signature without the tools input and the ToolCalls output: what the prompt shows. */
  signature: Signature;
  original: Signature;
  tools: FunctionToolSpec[];
  outputField: string;
}

const isToolType = (t: Signature["inputFields"][number]["type"]) =>
  t.kind === "tool" || (t.kind === "list" && t.item?.kind === "tool");

/** The plan for this call, or undefined when native function calling does not apply. */
export function planNativeTools(
  adapter: Adapter,
  lm: LM,
  signature: Signature,
  inputs: FieldValues,
): NativeToolPlan | undefined {
  if (!adapter.useNativeFunctionCalling) return undefined;
  const output = signature.outputFields.find((f) => f.type.kind === "toolCalls");
  if (output === undefined) return undefined;
  const input = signature.inputFields.find((f) => isToolType(f.type));
  if (input === undefined) {
    throw new ToolDefinitionError(
      `You provided an output field ${output.name} to receive the tool calls information, but did not provide any tools as the input.`,
      { fix: "add an input field of type list[Tool] and pass the tools in it" },
    );
  }
  if (lm.supportsFunctionCalling !== true) return undefined;
  const values = toValues(inputs);
  const given = has(values, input.name) ? values[input.name] : [];
  const tools = (Array.isArray(given) ? given : [given]).map((t) => Tool.from(t as Tool).formatAsFunctionCall());
  return {
    signature: signature.delete(output.name).delete(input.name),
    original: signature,
    tools,
    outputField: output.name,
  };
}

/** DSPy's `_call_postprocess` for one completion. */
export function parseWithToolCalls(
  plan: NativeToolPlan,
  adapter: Adapter,
  text: string,
  calls: ToolCall[] | undefined,
): Record<string, unknown> {
  let value: Record<string, unknown>;
  const withCalls = calls !== undefined && calls.length > 0;
  if (text && !withCalls) value = adapter.parse(plan.signature, text);
  else if (withCalls) {
    try {
      value = text && plan.signature.outputFields.length > 0 ? adapter.parse(plan.signature, text) : {};
    } catch (error) {
      if (!(error instanceof AdapterParseError)) throw error;
      value = {};
    }
  } else {
    throw new AdapterParseError({
      adapter: adapter.name,
      completion: text,
      expectedFields: plan.original.outputFields.map((f) => f.name),
      reason: "The LM returned an empty or null response.",
      fix: "check the model and the prompt; the LM answered neither text nor tool calls",
    });
  }
  const out: Record<string, unknown> = {};
  for (const f of plan.original.outputFields) out[f.name] = Object.hasOwn(value, f.name) ? value[f.name] : null;
  if (withCalls) out[plan.outputField] = new ToolCalls(calls);
  return out;
}
