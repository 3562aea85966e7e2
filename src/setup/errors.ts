import { DSPexError } from "../errors.js";

/** A set-up step failed; `step` names it and the message carries the failing command's output tail. */
export class SetupError extends DSPexError {
  readonly step: string;
  constructor(
    step: string,
    message: string,
    options: { fix?: string; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(`setup (${step}): ${message}`, { ...options, context: { step, ...options.context } });
    this.step = step;
  }
}
