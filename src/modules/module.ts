/**
 * The Module base: `call()` wraps `forward()` with callbacks (DSPy's `__call__`), and the
 * predictor walk, state dump/load and save/load follow DSPy's `BaseModule` so that files
 * round-trip with Python `dspy`.
 */
import { readFile, writeFile } from "node:fs/promises";
import { ProgramStateError } from "./errors.js";
import { Signature } from "../signature/signature.js";
import type { ExampleLike, Fields } from "./example.js";
import type { Prediction } from "./prediction.js";
import { observe, observing, settle } from "../runtime/observe.js";
import { stateJSON } from "./state-json.js";
import { currentSettings } from "../runtime/settings.js";
import { tracksUsage, withUsageTracking } from "../runtime/track-usage.js";
import { markModuleClass, namedParametersOf, type Parameter, walkProgram } from "./walk.js";

export { isParameter, MEMBERS, PARAMETER, type Parameter } from "./walk.js";

/**
 * Implemented by modules that learn their predictors on first use (Python-backed ones): until
 * then the program cannot see those predictors, so it hands such a module its part of a loaded
 * state, and reads back what the module holds, by path prefix. Returns undefined once the
 * predictors are known (they are then ordinary parameters of the program).
 */
export const DEFERRED_STATE = Symbol.for("dspex.deferredState");
interface Deferring {
  [DEFERRED_STATE](): ProgramState | undefined;
  loadState(state: ProgramState): unknown;
}

/** The program's modules whose predictors are not known yet, by path (never the root itself). */
function deferring(root: object): [string, Deferring][] {
  const found: [string, Deferring][] = [];
  walkProgram(root as Module, (path, node) => {
    const held = path === "" ? undefined : (node as Partial<Deferring>)[DEFERRED_STATE];
    if (typeof held === "function" && held.call(node) !== undefined) found.push([path, node as unknown as Deferring]);
  });
  return found;
}

export type ProgramState = Record<string, unknown>;

/** The versions DSPy records in `metadata.dependency_versions`; DSPy warns on mismatch, never fails. */
export const DSPY_SAVE_METADATA = {
  dependency_versions: { python: "3.11", dspy: "3.4.1", cloudpickle: "3.1" },
} as const;

export { ProgramStateError } from "./errors.js";

/** The inputs a module takes (`InputsOfModule<typeof qa>`). */
export type InputsOfModule<M> = M extends Module<infer I, infer _O> ? I : Fields;
/** The fields of the predictions a module returns. */
export type OutputsOfModule<M> = M extends Module<infer _I, infer O> ? O : Fields;

/**
 * What `.call()` takes: the typed inputs, or an Example (whose fields are only known at run time,
 * as in DSPy's `program(**example.inputs())`; the runtime checks them).
 */
export type ModuleInputs<I extends Fields> = I | ExampleLike;

/**
 * `I` and `O` type the inputs a module takes and the fields of the prediction it returns;
 * `Module` alone is untyped. A program declares them: `class RAG extends Module<{ question:
 * string }, { answer: string }>`; Predict and ChainOfThought infer them from their signature.
 */
/** Carries the compile-time input and output types; there is no such property at run time. */
declare const IO_TYPES: unique symbol;

export abstract class Module<I extends Fields = Fields, O extends Fields = Fields> {
  declare readonly [IO_TYPES]?: { inputs: I; outputs: O };
  /** A compiled sub-module is frozen: its predictors are hidden from the walk, as in DSPy. */
  compiled = false;

  abstract forward(inputs: I): Promise<Prediction<O>>;

  /** Runs the module with callbacks; programs call sub-modules through this too. */
  call(input: ModuleInputs<I>): Promise<Prediction<O>> {
    // An Example stands for the typed inputs here; Predict validates them at run time.
    const inputs = input as I;
    const settings = currentSettings();
    const forward = () => this.forward(inputs);
    // The common case (no callback, no tracing SDK, no usage tracking) is forward() itself.
    if (!tracksUsage(settings) && !observing(settings)) return settle(forward);
    return observe(
      settings,
      "module",
      { instance: this, name: this.constructor.name, inputs },
      tracksUsage(settings) ? () => withUsageTracking(settings, forward) : forward,
    );
  }

  /** DSPy's `named_parameters`: every Predict of the program (see walk.ts for what belongs to it). */
  namedParameters(): [string, Parameter][] {
    return namedParametersOf(this);
  }

  /** Named predictors (DSPy's `named_predictors`). */
  namedPredictors(): [string, Parameter][] {
    return this.namedParameters();
  }

  predictors(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** DSPy's JSON state: `{ "<path>": { demos, signature, lm, ... } }`. */
  dumpState(): ProgramState {
    const state: ProgramState = Object.fromEntries(this.namedParameters().map(([name, p]) => [name, p.dumpState()]));
    for (const [path, node] of deferring(this)) {
      for (const [name, entry] of Object.entries(node[DEFERRED_STATE]() ?? {})) state[`${path}.${name}`] = entry;
    }
    return state;
  }

  /** Loads DSPy's state; every predictor is validated before any is changed. */
  loadState(state: ProgramState): this {
    const params = this.namedParameters();
    for (const [name] of params) {
      const entry = state[name];
      if (typeof entry !== "object" || entry === null) {
        throw new ProgramStateError(`Saved state has no entry for predictor "${name}"`, {
          context: { predictor: name, saved: Object.keys(state).filter((k) => k !== "metadata") },
          fix: "load a state saved from a program with the same structure (same predictor names)",
        });
      }
    }
    for (const [name, param] of params) param.loadState(state[name] as Record<string, unknown>);
    // A copy built by a factory has not met its Python modules' predictors yet: without this, an
    // optimizer's demos for them were dropped here (the program listed only native predictors).
    for (const [path, node] of deferring(this)) {
      const prefix = `${path}.`;
      const part = Object.entries(state).filter(([k]) => k.startsWith(prefix));
      if (part.length > 0) node.loadState(Object.fromEntries(part.map(([k, v]) => [k.slice(prefix.length), v])));
    }
    return this;
  }

  /** Writes DSPy's `.json` save format (state plus metadata), loadable by Python `dspy`. */
  async save(path: string): Promise<void> {
    if (!path.endsWith(".json")) {
      throw new ProgramStateError(`Cannot save to "${path}"`, { fix: "use a path ending in .json" });
    }
    await writeFile(path, this.stateText());
  }

  /** The text `save()` writes (DSPy's orjson layout; demo floats stay floats by their field types). */
  stateText(): string {
    const signatures = new Map<string, Signature>();
    for (const [name, p] of this.namedParameters()) {
      const signature = (p as { signature?: unknown }).signature;
      if (signature instanceof Signature) signatures.set(name, signature);
    }
    return stateJSON({ ...this.dumpState(), metadata: DSPY_SAVE_METADATA }, signatures);
  }

  /** Reads a `.json` state saved by DSPex or by Python `dspy`. */
  async load(path: string): Promise<this> {
    let raw: string;
    try {
      raw = await readFile(path, "utf8");
    } catch (cause) {
      throw new ProgramStateError(`Cannot read saved program "${path}"`, { cause, fix: "check the path" });
    }
    let state: unknown;
    try {
      state = JSON.parse(raw);
    } catch (cause) {
      throw new ProgramStateError(`"${path}" is not valid JSON`, { cause, fix: "load a file written by save()" });
    }
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new ProgramStateError(`"${path}" does not hold a program state object`);
    }
    await prepareProgram(this);
    return this.loadState(state as ProgramState);
  }
}

markModuleClass(Module.prototype);

/**
 * Some modules learn their predictors lazily (Python-backed ones ask the worker on first use);
 * they expose `prepare()`, which must run before their state can be loaded.
 */
export async function prepareProgram(root: Module): Promise<void> {
  const pending: Promise<unknown>[] = [];
  walkProgram(
    root,
    (_path, node) => {
      const prepare = (node as { prepare?: unknown }).prepare;
      if (node instanceof Module && typeof prepare === "function") pending.push(prepare.call(node));
    },
    { intoCompiled: true },
  );
  await Promise.all(pending);
}
