/**
 * TypeScript tools for ReAct: Tools (src/tools/tool.ts), or plain `{ name, description,
 * parameters, fn }` definitions. Python sees the name, description and schema; calling the tool
 * calls back into Node, where the Tool validates the arguments and runs the function.
 */
import type { z } from "zod";
import type { JSONSchema } from "../../signature/types.js";
import { ToolDefinitionError } from "../../tools/errors.js";
import { Tool } from "../../tools/tool.js";

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

export function prepareTools(tools: readonly (ToolDefinition<never> | Tool<never>)[]): Map<string, PreparedTool> {
  const prepared = new Map<string, PreparedTool>();
  for (const definition of tools) {
    if (!definition || typeof definition.fn !== "function") {
      throw new ToolDefinitionError("A ReAct tool needs a function `fn`", {
        fix: "pass { name, description, parameters, fn }",
      });
    }
    if (!NAME.test(definition.name ?? "") || definition.name === "finish") {
      throw new ToolDefinitionError(`"${String(definition.name)}" cannot be a tool name`, {
        fix: 'use a Python identifier other than "finish" (ReAct adds that tool itself)',
      });
    }
    if (prepared.has(definition.name)) {
      throw new ToolDefinitionError(`Two tools are named "${definition.name}"`, { fix: "give each tool its own name" });
    }
    const tool = Tool.from(definition as ToolDefinition<unknown>);
    prepared.set(tool.name, {
      wire: { name: tool.name, description: tool.description, parameters: tool.parameters },
      run: (args) => tool.call(args),
    });
  }
  return prepared;
}
