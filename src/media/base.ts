/**
 * DSPy's custom types (`dspy.Type`): values that format themselves as OpenAI content parts.
 * In a prompt they travel as `<<CUSTOM-TYPE-START-IDENTIFIER>>` + the parts' JSON +
 * `<<CUSTOM-TYPE-END-IDENTIFIER>>`, which the adapter then splits out of user messages.
 *
 * A value's parts and its marker text are built once and frozen: formatting the same Image for
 * a thousand calls reuses them, and the cache key hashes frozen media parts once (cache/key.ts).
 */
import { DSPexError } from "../errors.js";
import type { ContentPart } from "../lm/types.js";

export const CUSTOM_TYPE_START = "<<CUSTOM-TYPE-START-IDENTIFIER>>";
export const CUSTOM_TYPE_END = "<<CUSTOM-TYPE-END-IDENTIFIER>>";

/** Bad media input: an unreadable path, an unknown MIME type, a malformed data URI. */
export class MediaError extends DSPexError {}

export abstract class MediaValue {
  #parts: readonly ContentPart[] | undefined;
  #marker: string | undefined;

  /** DSPy's type name: "Image", "Audio" or "File". */
  abstract readonly typeName: "Image" | "Audio" | "File";

  protected abstract buildParts(): ContentPart[];

  /** DSPy's `format()`: the OpenAI content parts of this value (frozen, built once). */
  format(): readonly ContentPart[] {
    if (this.#parts === undefined) this.#parts = deepFreeze(this.buildParts());
    return this.#parts;
  }

  /** DSPy's `serialize_model()` / `str(value)`: the parts' JSON between the custom-type markers. */
  toString(): string {
    this.#marker ??= `${CUSTOM_TYPE_START}${pyJsonDumps(this.format())}${CUSTOM_TYPE_END}`;
    return this.#marker;
  }

  /** The model's fields as DSPy dumps them (`model_dump()`), for saving and for the bridge. */
  abstract toDict(): Record<string, string | null>;
}

export function isMedia(value: unknown): value is MediaValue {
  return value instanceof MediaValue;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * `json.dumps(value, ensure_ascii=False)` for the plain data content parts hold (objects,
 * arrays, strings): Python's ", " and ": " separators; strings escape as JSON.stringify does,
 * which matches Python's escaping when non-ASCII is left as it is.
 */
function pyJsonDumps(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${pyJsonDumps(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
