import { DSPexError } from "../errors.js";

/** Bad command-line usage: exit code 2, like the other input errors. */
export class UsageError extends DSPexError {}

/** Errors caused by what the user typed or pointed at (exit code 2) rather than by the work itself (1). */
export const INPUT_ERRORS = new Set(["UsageError", "DatasetError", "ProgramLoadError"]);
