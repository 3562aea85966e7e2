import { DSPexError } from "../errors.js";

/**
 * An LM completion that an adapter could not turn into the signature's outputs. Keeps the raw
 * completion and whatever was parsed, so callers can log it or retry with another adapter.
 */
export class AdapterParseError extends DSPexError {
  readonly adapter: string;
  readonly completion: string;
  readonly expectedFields: string[];
  readonly parsed: Record<string, unknown> | undefined;
  /** The field whose value failed, when the failure is about one value. */
  readonly field: string | undefined;

  constructor(options: {
    adapter: string;
    completion: string;
    expectedFields: string[];
    parsed?: Record<string, unknown>;
    field?: string;
    reason?: string;
    fix?: string;
    cause?: unknown;
  }) {
    const { adapter, completion, expectedFields, parsed, field, reason } = options;
    const missing = parsed ? expectedFields.filter((f) => !(f in parsed)) : [];
    const lines = [
      reason ??
        (missing.length > 0 ? `Missing output field(s): ${missing.join(", ")}.` : "Could not parse the LM response."),
      `Adapter ${adapter} failed to parse the LM response.`,
      `LM Response: ${completion}`,
      `Expected to find output fields in the LM response: [${expectedFields.join(", ")}]`,
    ];
    if (parsed) lines.push(`Actual output fields parsed from the LM response: [${Object.keys(parsed).join(", ")}]`);
    super(lines.join("\n\n"), {
      context: { adapter, expectedFields, ...(field ? { field } : {}), ...(missing.length ? { missing } : {}) },
      fix:
        options.fix ??
        (missing.length > 0
          ? `the completion must contain every output field (${missing.join(", ")}) in the adapter's format`
          : undefined),
      cause: options.cause,
    });
    this.adapter = adapter;
    this.completion = completion;
    this.expectedFields = expectedFields;
    this.parsed = parsed;
    this.field = field;
  }

  /** The output fields that the completion lacked. */
  get missingFields(): string[] {
    return this.parsed ? this.expectedFields.filter((f) => !(f in (this.parsed ?? {}))) : [];
  }
}

/**
 * Text nested deeper than a parser follows (where Python's own parsers raise RecursionError or
 * "too many nested parentheses"), reported instead of overflowing the stack. Adapters turn it
 * into an AdapterParseError naming the field.
 */
export class NestingTooDeepError extends DSPexError {
  readonly maxDepth: number;
  readonly position: number;
  constructor(what: string, maxDepth: number, position: number) {
    super(`${what} is nested deeper than ${maxDepth} levels (at offset ${position})`, {
      context: { maxDepth, position },
      fix: "real LM output never nests this deep; check what produced the text",
    });
    this.maxDepth = maxDepth;
    this.position = position;
  }
}
