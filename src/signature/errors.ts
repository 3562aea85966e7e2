import { DSPexError } from "../errors.js";

/**
 * A signature that DSPy would reject (or that we reject because DSPy would silently
 * mangle it). Carries the spec, the 0-based position and a caret line so the message
 * shows exactly where the problem is.
 */
export class SignatureError extends DSPexError {
  readonly spec: string | undefined;
  readonly position: number | undefined;

  constructor(message: string, options: { spec?: string; position?: number; fix?: string } = {}) {
    const where =
      options.spec !== undefined && options.position !== undefined
        ? `\n  ${options.spec}\n  ${" ".repeat(Math.max(0, Math.min(options.position, options.spec.length)))}^`
        : "";
    const hint = options.fix ? `\nHint: ${options.fix}` : "";
    super(`${message}${options.position !== undefined ? ` (at position ${options.position})` : ""}${where}${hint}`, {
      context: { spec: options.spec, position: options.position },
      ...(options.fix ? { fix: options.fix } : {}),
    });
    this.spec = options.spec;
    this.position = options.position;
  }
}
