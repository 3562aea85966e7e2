/**
 * Base of every error DSPex throws. Errors carry structured context and, where we
 * can tell, a suggested fix, so that callers (and the CLI) can show something actionable.
 */
export class DSPexError extends Error {
  readonly context: Record<string, unknown>;
  readonly fix: string | undefined;

  constructor(message: string, options: { context?: Record<string, unknown>; fix?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.context = options.context ?? {};
    this.fix = options.fix;
  }
}

/** Thrown when an operation needs a capability the configured backend lacks. */
export class UnsupportedError extends DSPexError {}

/** Thrown for invalid arguments given to a public API. */
export class ConfigurationError extends DSPexError {}
