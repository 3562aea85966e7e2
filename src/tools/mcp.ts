/**
 * MCP tools as DSPex Tools, as DSPy's `Tool.from_mcp_tool` / `convert_mcp_tool` do it. Any client
 * with `listTools` and `callTool` works: the official @modelcontextprotocol/sdk `Client` over
 * stdio or streamable HTTP is the one we test with. DSPex does not depend on the SDK at run time;
 * bring your own connected client.
 */
import { pyStr } from "../py/builtins.js";
import type { JSONSchema } from "../signature/types.js";
import { ToolExecutionError } from "./errors.js";
import { Tool } from "./tool.js";

/** What DSPy calls result_mode: "text" (text contents) or "structured" (structuredContent when set). */
export type McpResultMode = "text" | "structured";

export interface McpTool {
  name: string;
  description?: string;
  inputSchema?: JSONSchema | { [key: string]: unknown };
}

export interface McpCallToolResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

/** The part of an MCP client this needs (the SDK's `Client` has both). */
export interface McpClientLike {
  listTools(params?: { cursor?: string }): Promise<{ tools: McpTool[]; nextCursor?: string }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
}

export interface McpToolOptions {
  resultMode?: McpResultMode;
}

/** Every tool the server lists (all pages), as Tools that call back through `client`. */
export async function mcpTools(client: McpClientLike, options: McpToolOptions = {}): Promise<Tool[]> {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools.map((tool) => mcpTool(client, tool, options));
}

/** One MCP tool as a Tool. */
export function mcpTool(client: McpClientLike, tool: McpTool, options: McpToolOptions = {}): Tool {
  const mode = options.resultMode ?? "text";
  if (mode !== "text" && mode !== "structured") {
    throw new ToolExecutionError(`Unsupported MCP result mode: ${String(mode)}`, { fix: 'use "text" or "structured"' });
  }
  return new Tool({
    name: tool.name,
    description: tool.description ?? "",
    parameters: resolveRefs((tool.inputSchema as JSONSchema | undefined) ?? { type: "object", properties: {} }),
    fn: async (args: Record<string, unknown>) => {
      const result = (await client.callTool({ name: tool.name, arguments: args })) as McpCallToolResult;
      return convertMcpResult(result, mode, tool.name);
    },
  });
}

/**
 * DSPy's `_convert_mcp_tool_result`: one text content is its text, several are a list of texts;
 * with no text the other contents come back as they are. An error result throws. In
 * "structured" mode a result's structuredContent wins when the server set it.
 */
export function convertMcpResult(result: McpCallToolResult, mode: McpResultMode = "text", name = "tool"): unknown {
  const texts: string[] = [];
  const others: unknown[] = [];
  for (const c of result.content ?? []) {
    const item = c as { type?: unknown; text?: unknown };
    if (item?.type === "text" && typeof item.text === "string") texts.push(item.text);
    else others.push(c);
  }
  const text: string | string[] = texts.length === 1 ? texts[0]! : texts;
  if (result.isError) {
    throw new ToolExecutionError(`Failed to call a MCP tool: ${typeof text === "string" ? text : pyStr(text)}`, {
      context: { tool: name },
    });
  }
  if (mode === "structured" && Object.hasOwn(result, "structuredContent")) return result.structuredContent;
  return (typeof text === "string" ? text !== "" : text.length > 0) ? text : others;
}

/** DSPy resolves `$ref`s into `$defs` before reading the properties; so do we. */
function resolveRefs(schema: JSONSchema): JSONSchema {
  const defs = (schema.$defs ?? schema.definitions) as Record<string, unknown> | undefined;
  if (defs === undefined) return schema;
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 64 || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const ref = (v as { $ref?: unknown }).$ref;
    if (typeof ref === "string") {
      const target = defs[ref.replace(/^#\/(\$defs|definitions)\//, "")];
      if (target !== undefined) return walk(target, depth + 1);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)]));
  };
  const { $defs: _d, definitions: _e, ...rest } = walk(schema, 0) as JSONSchema;
  return rest;
}
