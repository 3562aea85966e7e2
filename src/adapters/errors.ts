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
