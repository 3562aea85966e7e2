import { DSPexError } from "../../errors.js";

/** ProgramOfThought found no Deno sandbox; generated code is never run without one. */
export class SandboxUnavailableError extends DSPexError {}

/** The sandbox failed while running generated code (the code ended it, or it crashed). The worker is unharmed. */
export class SandboxError extends DSPexError {}

/** The generated code ran past its time or memory limit; the sandbox was killed, nothing else. */
export class SandboxLimitError extends SandboxError {
  readonly limit: "time" | "memory";
  constructor(message: string, limit: "time" | "memory", options: { cause?: unknown; fix?: string } = {}) {
    super(message, { context: { limit }, ...options });
    this.limit = limit;
  }
}

/** A ReAct tool definition that cannot be exposed to Python (bad name, schema or function). */
export class ToolDefinitionError extends DSPexError {}

/** A TypeScript tool called from Python with arguments its schema rejects. */
export class ToolArgumentsError extends DSPexError {}
