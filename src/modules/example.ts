/**
 * DSPy's Example: a record of fields plus which of them are inputs. Fields are readable
 * as properties (`ex.question`), like DSPy's attribute access.
 */
import { DSPexError } from "../errors.js";

export type Fields = Record<string, unknown>;

/** The members of a class instance type without its `[key: string]` index signature. */
export type KnownMembers<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/**
 * An Example seen without its index signature. Typed `.call()`s accept it next to their typed
 * inputs; being free of the index signature, it keeps TypeScript's excess-property check on
 * object literals (`{ questoin: "..." }` is still an error).
 */
export type ExampleLike = KnownMembers<Example>;

/** Symbol-keyed so that metadata never shows among the fields (Object.keys/entries skip symbols). */
const INPUT_KEYS: unique symbol = Symbol("inputKeys");

export class Example {
  [key: string]: unknown;
  // Not `private`: that would make Example nominal, and typed predictions are structural.
  readonly [INPUT_KEYS]: ReadonlySet<string> | undefined;

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
    const keys = requireInputKeys(this, "inputs");
    return new Example(
      pick(this, (k) => keys.has(k)),
      keys,
    );
  }

  labels(): Example {
    const keys = requireInputKeys(this, "labels");
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
}

/** A function, not a private method: a private member would make Example nominal. */
function requireInputKeys(example: Example, what: string): ReadonlySet<string> {
  if (!example.inputKeys) {
    throw new DSPexError(`Example.${what}() needs the input keys`, {
      fix: 'call .withInputs("question", ...) first to say which fields are inputs',
    });
  }
  return example.inputKeys;
}

function pick(source: object, keep: (key: string) => boolean): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(source)) if (keep(k)) out[k] = v;
  return out;
}
