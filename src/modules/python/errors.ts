import { DSPexError } from "../../errors.js";

/** ProgramOfThought found no Deno sandbox; generated code is never run without one. */
export class SandboxUnavailableError extends DSPexError {}

// Tool errors belong to the tools themselves (src/tools/); kept importable from here.
export { ToolArgumentsError, ToolDefinitionError } from "../../tools/errors.js";
