export { ToolArgumentsError, ToolDefinitionError, ToolExecutionError } from "./errors.js";
export {
  convertMcpResult,
  type McpCallToolResult,
  type McpClientLike,
  type McpResultMode,
  type McpTool,
  type McpToolOptions,
  mcpTool,
  mcpTools,
} from "./mcp.js";
export { type FunctionTool, Tool, type ToolOptions } from "./tool.js";
export { ToolCallEntry, ToolCalls, type ToolFunctions } from "./tool-calls.js";
