/**
 * DSPy's `dspy.Tool`: a name, a description, a JSON schema of the arguments (or a zod object)
 * and the function. The same Tool serves ReAct (Python calls it back by name), ToolCalls'
 * `execute()`, native function calling (`formatAsFunctionCall`) and MCP (`Tool.fromMcpTool`).
 */
import type { z } from "zod";
import type { FunctionToolSpec } from "../lm/types.js";
import { pyRepr } from "../py/builtins.js";
import type { JSONSchema } from "../signature/types.js";
import { isZodObject } from "../signature/zod.js";
import { ToolArgumentsError, ToolDefinitionError } from "./errors.js";

export interface ToolOptions<Args = Record<string, unknown>> {
  name: string;
  description?: string;
  /** JSON schema of the arguments (an object schema), or a zod object. */
  parameters?: JSONSchema | z.ZodObject;
  fn: (args: Args) => unknown;
}

/** The OpenAI `tools` entry DSPy sends (`format_as_litellm_function_call`). */
export type FunctionTool = FunctionToolSpec;

export class Tool<Args = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  /** The arguments' object schema (zod objects are converted once). */
  readonly parameters: JSONSchema;
  readonly fn: (args: Args) => unknown;
  readonly #zod: z.ZodObject | undefined;

  constructor(options: ToolOptions<Args>) {
    if (!options || typeof options.fn !== "function") {
      throw new ToolDefinitionError("A tool needs a function `fn`", {
        fix: "pass { name, description, parameters, fn }",
      });
    }
    if (typeof options.name !== "string" || options.name === "") {
      throw new ToolDefinitionError("A tool needs a name", { fix: "pass { name: 'search', ... }" });
    }
    this.#zod = isZodObject(options.parameters) ? options.parameters : undefined;
    const schema: JSONSchema = this.#zod
      ? stripMeta(this.#zod.toJSONSchema({ unrepresentable: "any" }) as JSONSchema)
      : ((options.parameters as JSONSchema | undefined) ?? { type: "object", properties: {} });
    if (typeof schema !== "object" || schema === null || (schema.type !== undefined && schema.type !== "object")) {
      throw new ToolDefinitionError(`Tool "${options.name}": parameters must be an object schema`, {
        fix: 'write { type: "object", properties: { city: { type: "string" } }, required: ["city"] } or a z.object',
      });
    }
    this.name = options.name;
    this.description = options.description ?? "";
    this.parameters = schema;
    this.fn = options.fn;
  }

  /** A Tool as it is, or a Tool made from a plain definition. */
  static from<A>(tool: Tool<A> | ToolOptions<A>): Tool<A> {
    return tool instanceof Tool ? tool : new Tool(tool);
  }

  /** DSPy's `Tool.args`: the schema's properties. */
  get args(): JSONSchema {
    const props = this.parameters.properties;
    return props !== null && typeof props === "object" ? (props as JSONSchema) : {};
  }

  /** Validates the arguments (zod, or the schema's required keys and known names) and runs the function. */
  async call(args: unknown): Promise<unknown> {
    const given = (typeof args === "object" && args !== null && !Array.isArray(args) ? args : {}) as Record<
      string,
      unknown
    >;
    if (this.#zod) {
      const parsed = this.#zod.safeParse(given);
      if (!parsed.success) {
        throw new ToolArgumentsError(`Tool "${this.name}" got invalid arguments: ${parsed.error.message}`, {
          context: { tool: this.name },
        });
      }
      return this.fn(parsed.data as Args);
    }
    const required = Array.isArray(this.parameters.required) ? (this.parameters.required as string[]) : [];
    const missing = required.filter((key) => !(key in given));
    if (missing.length > 0) {
      throw new ToolArgumentsError(`Tool "${this.name}" is missing argument(s) ${missing.join(", ")}`, {
        context: { tool: this.name, missing },
      });
    }
    if (this.parameters.additionalProperties === false) {
      const unknown = Object.keys(given).filter((k) => !(k in this.args));
      if (unknown.length > 0) {
        throw new ToolArgumentsError(`Arg ${unknown[0]} is not in the tool's args.`, { context: { tool: this.name } });
      }
    }
    return this.fn(given as Args);
  }

  /** DSPy's `format_as_litellm_function_call`: required = the properties without a default. */
  formatAsFunctionCall(): FunctionTool {
    const properties = this.args;
    const required = Object.keys(properties).filter((k) => {
      const p = properties[k];
      return !(p !== null && typeof p === "object" && "default" in (p as object));
    });
    return {
      type: "function",
      function: {
        name: this.name,
        description: this.description,
        parameters: { type: "object", properties, required },
      },
    };
  }

  /** DSPy's `str(tool)`, which is how a Tool reads in a prompt. */
  toString(): string {
    const desc = this.description
      ? `, whose description is <desc>${this.description}</desc>.`.replaceAll("\n", "  ")
      : ".";
    return `${this.name}${desc} It takes arguments ${pyRepr(this.args)}.`;
  }
}

function stripMeta(schema: JSONSchema): JSONSchema {
  const { $schema: _s, additionalProperties: _a, ...rest } = schema;
  return rest;
}
