/**
 * DSPy's `dspy.History`: prior turns of a conversation, each a record keyed by the signature's
 * field names. Adapters expand it into user/assistant messages before the current input.
 */
import { ConfigurationError } from "../errors.js";
import { pyStrip } from "../py/builtins.js";

export class History {
  readonly messages: readonly Readonly<Record<string, unknown>>[];

  constructor(messages: readonly Record<string, unknown>[]) {
    if (!Array.isArray(messages)) {
      throw new ConfigurationError("History needs a list of messages", {
        fix: "write new History([{ question: '...', answer: '...' }])",
      });
    }
    // pydantic's str_strip_whitespace on History applies to the dict keys (values are Any).
    this.messages = Object.freeze(
      messages.map((m) => Object.freeze(Object.fromEntries(Object.entries(m).map(([k, v]) => [pyStrip(k), v])))),
    );
    Object.freeze(this);
  }

  /** Accepts a History or anything shaped like one (`{ messages: [...] }`). */
  static from(value: unknown): History | undefined {
    if (value instanceof History) return value;
    if (value !== null && typeof value === "object" && Array.isArray((value as { messages?: unknown }).messages)) {
      return new History((value as { messages: Record<string, unknown>[] }).messages);
    }
    return undefined;
  }

  toJSON(): { messages: Record<string, unknown>[] } {
    return { messages: this.messages.map((m) => ({ ...m })) };
  }
}
