/**
 * TypeScript tools for ReAct: a name, a description, a JSON schema (or zod object) for the
 * arguments and the function. Python sees the name, description and schema; calling the tool
 * calls back into Node, where the arguments are validated and the function runs.
 */
import { z } from "zod";
import type { JSONSchema } from "../../signature/types.js";
import { ToolArgumentsError, ToolDefinitionError } from "./errors.js";

export interface ToolDefinition<Args = Record<string, unknown>> {
  name: string;
  description: string;
  /** JSON schema of the arguments (an object schema), or a zod object. */
  parameters?: JSONSchema | z.ZodObject;
  fn: (args: Args) => unknown;
}

/** A tool as sent to the worker. */
export interface WireTool {
  name: string;
  description: string;
  parameters: JSONSchema;
}

export interface PreparedTool {
  wire: WireTool;
  run(args: unknown): Promise<unknown>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function prepareTools(tools: readonly ToolDefinition<never>[]): Map<string, PreparedTool> {
  const prepared = new Map<string, PreparedTool>();
  for (const tool of tools) {
    if (!tool || typeof tool.fn !== "function") {
      throw new ToolDefinitionError("A ReAct tool needs a function `fn`", {
        fix: "pass { name, description, parameters, fn }",
      });
    }
    if (!NAME.test(tool.name ?? "") || tool.name === "finish") {
      throw new ToolDefinitionError(`"${String(tool.name)}" cannot be a tool name`, {
        fix: 'use a Python identifier other than "finish" (ReAct adds that tool itself)',
      });
    }
    if (prepared.has(tool.name)) {
      throw new ToolDefinitionError(`Two tools are named "${tool.name}"`, { fix: "give each tool its own name" });
    }
    prepared.set(tool.name, prepareTool(tool as ToolDefinition<unknown>));
  }
  return prepared;
}

function prepareTool(tool: ToolDefinition<unknown>): PreparedTool {
  const zod = tool.parameters instanceof z.ZodObject ? tool.parameters : undefined;
  const schema: JSONSchema = zod
    ? stripMeta(z.toJSONSchema(zod, { unrepresentable: "any" }) as JSONSchema)
    : ((tool.parameters as JSONSchema | undefined) ?? { type: "object", properties: {} });
  if (typeof schema !== "object" || (schema.type !== undefined && schema.type !== "object")) {
    throw new ToolDefinitionError(`Tool "${tool.name}": parameters must be an object schema`, {
      fix: 'write { type: "object", properties: { city: { type: "string" } }, required: ["city"] } or a z.object',
    });
  }
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return {
    wire: { name: tool.name, description: tool.description ?? "", parameters: schema },
    async run(args) {
      const given = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
      if (zod) {
        const parsed = zod.safeParse(given);
        if (!parsed.success) {
          throw new ToolArgumentsError(`Tool "${tool.name}" got invalid arguments: ${parsed.error.message}`);
        }
        return tool.fn(parsed.data);
      }
      const missing = required.filter((key) => !(key in given));
      if (missing.length > 0) {
        throw new ToolArgumentsError(`Tool "${tool.name}" is missing argument(s) ${missing.join(", ")}`);
      }
      return tool.fn(given);
    },
  };
}

function stripMeta(schema: JSONSchema): JSONSchema {
  const { $schema: _s, additionalProperties: _a, ...rest } = schema;
  return rest;
}
