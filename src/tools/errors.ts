import { DSPexError } from "../errors.js";

/** A tool definition that cannot be used (bad name, schema or function). */
export class ToolDefinitionError extends DSPexError {}

/** A tool called with arguments its schema rejects. */
export class ToolArgumentsError extends DSPexError {}

/** A tool's own failure: an MCP tool result flagged isError, or an exception from its function. */
export class ToolExecutionError extends DSPexError {}
