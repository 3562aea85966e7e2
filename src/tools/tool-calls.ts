/**
 * DSPy's `dspy.ToolCalls`: the calls an LM asked for, as an output field's value. Native function
 * calling fills it from the provider's tool_calls; `execute()` runs each call with the given
 * Tools (or plain functions by name).
 */
import type { ToolCall } from "../lm/types.js";
import { parseArguments } from "../lm/tool-wire.js";
import { ToolExecutionError } from "./errors.js";
import { Tool } from "./tool.js";

export type ToolFunctions = readonly Tool<never>[] | Readonly<Record<string, (args: never) => unknown>>;

export class ToolCallEntry implements ToolCall {
  readonly id?: string;
  readonly name: string;
  readonly args: Record<string, unknown>;

  constructor(call: ToolCall) {
    if (call.id !== undefined) this.id = call.id;
    this.name = call.name;
    this.args = call.args;
  }

  /** Runs this call with the tool of its name; a Tool validates the arguments first. */
  async execute(functions: ToolFunctions): Promise<unknown> {
    let run: ((args: Record<string, unknown>) => unknown) | undefined;
    if (Array.isArray(functions)) {
      const tool = (functions as readonly Tool<never>[]).find((t) => t.name === this.name);
      if (tool !== undefined) run = (args) => Tool.from(tool as Tool<unknown>).call(args);
    } else {
      const fn = (functions as Record<string, (args: never) => unknown>)[this.name];
      if (typeof fn === "function") run = fn as (args: Record<string, unknown>) => unknown;
    }
    if (run === undefined) {
      throw new ToolExecutionError(
        `Tool function '${this.name}' not found. Please pass the tool functions to the \`execute\` method.`,
        {
          context: { tool: this.name },
        },
      );
    }
    try {
      return await run(this.args);
    } catch (error) {
      throw new ToolExecutionError(
        `Error executing tool '${this.name}': ${(error as Error).message ?? String(error)}`,
        {
          cause: error,
          context: { tool: this.name },
        },
      );
    }
  }

  /** DSPy's `ToolCall.format()`. */
  toJSON(): { name: string; args: Record<string, unknown> } {
    return { name: this.name, args: this.args };
  }
}

export class ToolCalls {
  readonly toolCalls: readonly ToolCallEntry[];

  constructor(calls: readonly ToolCall[]) {
    this.toolCalls = calls.map((c) => (c instanceof ToolCallEntry ? c : new ToolCallEntry(c)));
  }

  /**
   * DSPy's `from_dict_list`: `{name, args}` dicts, or provider-shaped ones
   * (`{id, function: {name, arguments}}`, arguments as JSON text).
   */
  static fromDictList(items: readonly Record<string, unknown>[]): ToolCalls {
    return new ToolCalls(items.map(normalizeToolCall));
  }

  /** Runs every call in order and returns their results. */
  async execute(functions: ToolFunctions): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const call of this.toolCalls) out.push(await call.execute(functions));
    return out;
  }

  /** DSPy's `format()`: `{"tool_calls": [{"name", "args"}]}`. */
  toJSON(): { tool_calls: { name: string; args: Record<string, unknown> }[] } {
    return { tool_calls: this.toolCalls.map((c) => c.toJSON()) };
  }
}

function normalizeToolCall(data: Record<string, unknown>): ToolCall {
  const fn = data.function;
  let name: unknown;
  let args: unknown;
  if (fn !== undefined) {
    const f = (fn ?? {}) as Record<string, unknown>;
    name = f.name ?? data.name;
    args = f.arguments ?? {};
  } else {
    name = data.name;
    args = data.args ?? data.arguments ?? {};
  }
  const id = data.id ?? data.call_id;
  return {
    ...(typeof id === "string" ? { id } : {}),
    name: String(name ?? ""),
    args: parseArguments(args),
  };
}
