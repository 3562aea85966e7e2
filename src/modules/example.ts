/**
 * DSPy's Example: a record of fields plus which of them are inputs. Fields are readable
 * as properties (`ex.question`), like DSPy's attribute access.
 */
import { DSPexError } from "../errors.js";

export type Fields = Record<string, unknown>;

/** Symbol-keyed so that metadata never shows among the fields (Object.keys/entries skip symbols). */
const INPUT_KEYS: unique symbol = Symbol("inputKeys");

export class Example {
  [key: string]: unknown;
  private readonly [INPUT_KEYS]: ReadonlySet<string> | undefined;

  constructor(fields: Fields | Example = {}, inputKeys?: Iterable<string>) {
    const data = fields instanceof Example ? fields.toDict() : fields;
    this[INPUT_KEYS] = inputKeys ? new Set(inputKeys) : fields instanceof Example ? fields.inputKeys : undefined;
    Object.assign(this, data);
  }

  /** Keys marked by withInputs; undefined until then (as in DSPy). */
  get inputKeys(): ReadonlySet<string> | undefined {
    return this[INPUT_KEYS];
  }

  /** The field names, in insertion order. */
  keys(): string[] {
    return Object.keys(this);
  }

  get<T = unknown>(key: string): T | undefined {
    return this[key] as T | undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this, key);
  }

  withInputs(...keys: string[]): Example {
    return new Example(this.toDict(), keys);
  }

  inputs(): Example {
    const keys = this.requireInputKeys("inputs");
    return new Example(
      pick(this, (k) => keys.has(k)),
      keys,
    );
  }

  labels(): Example {
    const keys = this.requireInputKeys("labels");
    return new Example(pick(this, (k) => !keys.has(k)));
  }

  copy(overrides: Fields = {}): Example {
    return new Example({ ...this.toDict(), ...overrides }, this.inputKeys);
  }

  without(...keys: string[]): Example {
    return new Example(
      pick(this, (k) => !keys.includes(k)),
      this.inputKeys,
    );
  }

  toDict(): Fields {
    return pick(this, () => true);
  }

  toJSON(): Fields {
    return this.toDict();
  }

  private requireInputKeys(what: string): ReadonlySet<string> {
    if (!this.inputKeys) {
      throw new DSPexError(`Example.${what}() needs the input keys`, {
        fix: 'call .withInputs("question", ...) first to say which fields are inputs',
      });
    }
    return this.inputKeys;
  }
}

function pick(source: object, keep: (key: string) => boolean): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(source)) if (keep(k)) out[k] = v;
  return out;
}
