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

// Tool errors belong to the tools themselves (src/tools/); kept importable from here.
export { ToolArgumentsError, ToolDefinitionError } from "../../tools/errors.js";
