/**
 * The one rule for a call's inputs, shared by Predict and the Python-backed modules: inputs must be
 * an object; a missing input field (one whose type does not allow None) is DSPy's warning, and the
 * call goes on without it, unless `strictInputs` is set, which makes it an InputError instead.
 */
import { pyRepr } from "../py/builtins.js";
import type { Settings } from "../runtime/settings.js";
import type { Signature } from "../signature/signature.js";
import { allowsNone } from "../signature/types.js";
import { InputError } from "./errors.js";
import type { Fields } from "./example.js";

export function checkInputs(signature: Signature, inputs: Fields, settings: Settings, who = "Predict"): Fields {
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
    throw new InputError(`${who}(${signature.spec}) takes an object of inputs`, {
      fix: `call it as .call({ ${signature.inputFields.map((f) => `${f.name}: ...`).join(", ")} })`,
    });
  }
  // A plain loop: this runs on every call, and the array is only needed when something is missing.
  let missing: string[] | undefined;
  for (const f of signature.inputFields) {
    if ((f.name in inputs && inputs[f.name] !== undefined) || allowsNone(f.type)) continue;
    missing ??= [];
    missing.push(f.name);
  }
  if (missing === undefined) return inputs;
  if (settings.strictInputs) {
    throw new InputError(`Missing input field${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`, {
      context: { signature: signature.spec, given: Object.keys(inputs) },
      fix: `pass { ${missing.map((m) => `${m}: ...`).join(", ")} }, or leave strictInputs off to proceed as DSPy does`,
    });
  }
  const present = signature.inputFields.filter((f) => f.name in inputs && inputs[f.name] !== undefined);
  const list = (names: string[]) => `[${names.map((n) => pyRepr(n)).join(", ")}]`;
  (settings.warn ?? defaultWarn)(
    `Not all input fields were provided to module. Present: ${list(present.map((f) => f.name))}. Missing: ${list(missing)}.`,
  );
  return inputs;
}

function defaultWarn(message: string): void {
  console.warn(`dspex: ${message}`);
}
