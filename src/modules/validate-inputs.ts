/**
 * The one check of a module call's inputs against its signature (Predict calls it; anything else
 * that takes signature inputs should too).
 *
 * - Not an object: an InputError.
 * - A missing field, or one whose value is `undefined`, unless its type allows None: DSPy's
 *   warning ("Not all input fields were provided to module") and the call proceeds without it, as
 *   DSPy's does (a first chat turn has no `history`); under `strictInputs` an InputError naming them.
 * - A key that is not an input field: DSPy's warning ("Input contains fields not in signature"),
 *   with "did you mean ...?" when a field is a likely typo. A warning and not an error because
 *   DSPy programs pass whole records (labels included) and DSPy only warns; typed callers already
 *   get a compile error for a misspelled key in an object literal. `strictInputs: true` in
 *   configure()/context() turns it into an InputError.
 */
import { pyRepr } from "../py/builtins.js";
import type { Signature } from "../signature/signature.js";
import { allowsNone } from "../signature/types.js";
import { closest } from "../suggest.js";
import { InputError } from "./errors.js";
import type { Fields } from "./example.js";

export interface InputCheckOptions {
  /** Missing fields and unknown keys are errors instead of warnings. */
  strict?: boolean;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
  /** Keys the module takes besides the signature's inputs. */
  allow?: readonly string[];
}

// One warning per signature and set of unknown keys, not one per call: a loop over a dataset
// would otherwise print the same line thousands of times.
const warned = new WeakMap<Signature, Set<string>>();

export function validateInputs(signature: Signature, inputs: unknown, options: InputCheckOptions = {}): Fields {
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
    throw new InputError(`Predict(${signature.spec}) takes an object of inputs`, {
      fix: `call it as .call({ ${signature.inputFields.map((f) => `${f.name}: ...`).join(", ")} })`,
    });
  }
  const given = inputs as Fields;
  // A plain loop: this runs on every call, and the arrays are only needed when something is wrong.
  let missing: string[] | undefined;
  for (const f of signature.inputFields) {
    if ((f.name in given && given[f.name] !== undefined) || allowsNone(f.type)) continue;
    missing ??= [];
    missing.push(f.name);
  }
  let unknown: string[] | undefined;
  for (const key of Object.keys(given)) {
    if (signature.field(key)?.kind === "input" || options.allow?.includes(key)) continue;
    unknown ??= [];
    unknown.push(key);
  }
  if (missing !== undefined && !options.strict) reportMissing(signature, given, missing, options);
  else if (missing !== undefined) {
    const undefinedOnes = missing.filter((m) => m in given);
    const hints = unknown ? suggestions(unknown, missing) : [];
    throw new InputError(`Missing input field${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, {
      context: {
        signature: signature.spec,
        given: Object.keys(given),
        ...(undefinedOnes.length > 0 ? { undefined: undefinedOnes } : {}),
      },
      fix: [
        ...hints,
        undefinedOnes.length > 0
          ? `${undefinedOnes.join(", ")} ${undefinedOnes.length > 1 ? "are" : "is"} undefined`
          : "",
        `pass { ${missing.map((m) => `${m}: ...`).join(", ")} }`,
      ]
        .filter(Boolean)
        .join("; "),
    });
  }
  if (unknown !== undefined) reportUnknown(signature, unknown, options);
  return given;
}

function reportMissing(signature: Signature, given: Fields, missing: string[], options: InputCheckOptions): void {
  const present = signature.inputFields.filter((f) => f.name in given && given[f.name] !== undefined);
  const list = (names: string[]) => `[${names.map((n) => pyRepr(n)).join(", ")}]`;
  (options.warn ?? console.warn)(
    `Not all input fields were provided to module. Present: ${list(present.map((f) => f.name))}. Missing: ${list(missing)}.`,
  );
}

function suggestions(unknown: readonly string[], fields: readonly string[]): string[] {
  const out: string[] = [];
  for (const key of unknown) {
    const near = closest(key, fields);
    if (near !== undefined) out.push(`"${key}": did you mean "${near}"?`);
  }
  return out;
}

function reportUnknown(signature: Signature, unknown: readonly string[], options: InputCheckOptions): void {
  const fields = signature.inputFields.map((f) => f.name);
  const hints = suggestions(unknown, fields);
  const message =
    `Input contains fields not in signature. These fields will be ignored: ${unknown.join(", ")}. ` +
    `Expected fields: ${fields.join(", ")}.${hints.length > 0 ? ` ${hints.join(" ")}` : ""}`;
  if (options.strict) {
    throw new InputError(`Unknown input field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`, {
      context: { signature: signature.spec, expected: fields },
      fix: hints.length > 0 ? hints.join(" ") : `the inputs are ${fields.join(", ")}`,
    });
  }
  const key = unknown.join("\u0000");
  let seen = warned.get(signature);
  if (seen === undefined) {
    seen = new Set();
    warned.set(signature, seen);
  }
  if (seen.has(key)) return;
  seen.add(key);
  (options.warn ?? console.warn)(message);
}
