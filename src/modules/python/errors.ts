import { DSPexError } from "../../errors.js";

/** ProgramOfThought found no Deno sandbox; generated code is never run without one. */
export class SandboxUnavailableError extends DSPexError {}

/** A ReAct tool definition that cannot be exposed to Python (bad name, schema or function). */
export class ToolDefinitionError extends DSPexError {}

/** A TypeScript tool called from Python with arguments its schema rejects. */
export class ToolArgumentsError extends DSPexError {}
