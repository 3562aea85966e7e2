/**
 * Base of the modules that run DSPy's own implementation in a worker (ReAct, ProgramOfThought,
 * MultiChainComparison, and Predict/ChainOfThought when routed to Python).
 *
 * Node keeps the state: after the first call (or `prepare()`), each of the DSPy module's named
 * predictors has a mirror Predict here, with DSPy's name, signature, instructions and demos. The
 * mirrors are what `namedPredictors()`, `dumpState()`/`save()` and optimizers see, and their state
 * is sent with every call, so any worker can serve any call. DSPy's LM calls are served by the LM
 * of the caller's context; the predictor calls DSPy records come back into the caller's trace.
 */
import { BridgeValueError, PythonError, UnknownToolError } from "../../bridge/errors.js";
import { MAX_VALUE_DEPTH } from "../../bridge/limits.js";
import type { PythonPool } from "../../bridge/pool.js";
import { ConfigurationError } from "../../errors.js";
import type { LM } from "../../lm/types.js";
import { CAPABILITIES, type Operation } from "../../bridge/capabilities.js";
import { sharedPoolFor } from "../../bridge/shared-pools.js";
import { parseTypeString } from "../../signature/parse.js";
import { type FieldSpec, Signature } from "../../signature/signature.js";
import { Example, type Fields } from "../example.js";
import { DEFERRED_STATE, MEMBERS, Module, type ProgramState, prepareProgram } from "../module.js";
import { Predict } from "../predict.js";
import { validateInputs } from "../validate-inputs.js";
import { Prediction } from "../prediction.js";
import { currentSettings, type Settings } from "../../runtime/settings.js";
import { bridgeSpan } from "../../runtime/telemetry.js";
import { contextLM } from "./node-lm.js";
import type { Registration } from "./scoped-callbacks.js";

export interface PythonModuleOptions {
  /** The pool to run in; default: the process's shared `modules` pool. */
  pool?: PythonPool | (() => Promise<PythonPool>);
  /** This module's LM; default: the LM of the calling context. */
  lm?: LM;
  /** Deadline of one call in ms; default: the pool's. */
  timeoutMs?: number;
}

/** A field as the worker describes it: DSPy's Python type spelling, description and prefix. */
export interface WireField {
  name: string;
  type: string;
  desc?: string | null;
  prefix?: string | null;
}

export interface WireSignature {
  instructions: string;
  inputs: WireField[];
  outputs: WireField[];
}

interface WirePredictor {
  name: string;
  signature: WireSignature;
  state: Record<string, unknown>;
}

interface ForwardResult {
  outputs: Fields;
  completions?: Fields[];
  trace: { predictor: string | null; inputs: Fields; outputs: Fields }[];
  predictors?: WirePredictor[];
}

export const MODULES_PYTHON = "dspex_worker.modules_python";

// Symbol-keyed rather than #private, so that copies of a program (optimizer runs) carry them.
const OPTIONS = Symbol("options");
const MIRRORS = Symbol("mirrors");
const PENDING_STATE = Symbol("pendingState");

/** `I` and `O` type the call as for any module; subclasses infer them from their signature. */
export abstract class PythonModule<I extends Fields = Fields, O extends Fields = Fields> extends Module<I, O> {
  lm: LM | undefined;
  readonly [OPTIONS]: PythonModuleOptions;
  [MIRRORS]: [string, Predict][] | undefined;
  [PENDING_STATE]: ProgramState | undefined;

  constructor(options: PythonModuleOptions = {}) {
    super();
    this[OPTIONS] = options;
    this.lm = options.lm;
  }

  /** The DSPy module kind the worker builds (see python/dspex_worker/modules_python.py). */
  protected abstract readonly kind: string;

  /** What the worker needs to build the DSPy module; sent with every call. */
  protected abstract spec(): Record<string, unknown>;

  /** Callbacks that live for one call (ReAct's tools); the token is passed to Python. */
  protected registerCallScoped(_pool: PythonPool, _settings: Settings): Registration | undefined {
    return undefined;
  }

  /** Turns a worker error into this module's typed error where one applies. */
  protected translateError(error: unknown): unknown {
    return error;
  }

  /** Inputs as the DSPy module takes them (plain data). */
  protected wireInputs(inputs: Fields): Fields {
    return plain(inputs) as Fields;
  }

  protected async pool(): Promise<PythonPool> {
    const pool = this[OPTIONS].pool;
    if (pool === undefined) return sharedPoolFor(operationOf(this.kind));
    return typeof pool === "function" ? pool() : pool;
  }

  /** Fetches the DSPy module's predictors (no LM call), so state can be read and loaded before a run. */
  async prepare(): Promise<this> {
    if (this[MIRRORS]) return this;
    const pool = await this.pool();
    const predictors = await this.invoke<WirePredictor[]>(pool, "dspex.module.describe", {
      kind: this.kind,
      spec: this.spec(),
    });
    this.adopt(predictors);
    return this;
  }

  /** What belongs to the program is what DSPy reported: its predictors, by DSPy's names. */
  [MEMBERS](): Iterable<[string, unknown]> {
    return this[MIRRORS] ?? [];
  }

  /** Until the predictors are known, the state loaded for them (see Module's DEFERRED_STATE). */
  [DEFERRED_STATE](): ProgramState | undefined {
    return this[MIRRORS] ? undefined : (this[PENDING_STATE] ?? {});
  }

  override dumpState(): ProgramState {
    return this[MIRRORS] ? super.dumpState() : { ...(this[PENDING_STATE] ?? {}) };
  }

  override loadState(state: ProgramState): this {
    if (this[MIRRORS]) return super.loadState(state);
    // Applied when the predictors are known (first call or prepare()).
    this[PENDING_STATE] = state;
    return this;
  }

  /** The DSPy signature whose inputs a call must carry. */
  abstract readonly signature: Signature;
  /** Input keys the module takes besides the signature's (MultiChainComparison's `completions`). */
  protected readonly extraInputKeys: readonly string[] = [];

  async forward(inputs: I): Promise<Prediction<O>> {
    // Native Predict's rule (validate-inputs.ts), checked before anything reaches Python.
    const settings = currentSettings();
    validateInputs(this.signature, inputs, {
      strict: settings.strictInputs === true,
      warn: settings.warn,
      allow: this.extraInputKeys,
    });
    const lm = contextLM(settings, this.constructor.name, this.lm);
    const pool = await this.pool();
    const scoped = this.registerCallScoped(pool, settings);
    let result: ForwardResult;
    try {
      result = await this.invoke<ForwardResult>(
        pool,
        "dspex.module.forward",
        {
          kind: this.kind,
          spec: this.spec(),
          state: this[MIRRORS] ? this.dumpState() : (this[PENDING_STATE] ?? null),
          inputs: this.wireInputs(inputs),
          describe: this[MIRRORS] === undefined,
          tools_token: scoped?.token ?? null,
        },
        { lm, signal: settings.signal },
      );
    } finally {
      scoped?.release();
    }
    if (result.predictors && !this[MIRRORS]) this.adopt(result.predictors);
    // DSPy parsed the outputs against the same signature the types come from.
    const prediction = new Prediction(result.outputs as O, result.completions as O[]);
    this.recordTrace(result.trace);
    return prediction;
  }

  private async invoke<T>(
    pool: PythonPool,
    tool: string,
    args: Record<string, unknown>,
    options: { lm?: LM; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    try {
      return await bridgeSpan(currentSettings().span, pool.name, tool, () =>
        pool.call<T>(tool, args, {
          ...(options.lm ? { lm: options.lm } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(this[OPTIONS].timeoutMs !== undefined ? { timeoutMs: this[OPTIONS].timeoutMs } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof UnknownToolError) {
        throw new ConfigurationError(`The pool's workers do not provide ${tool}`, {
          cause: error,
          context: { tool },
          fix: `start the pool with { modules: ["${MODULES_PYTHON}"] }`,
        });
      }
      throw this.translateError(error);
    }
  }

  private adopt(predictors: WirePredictor[]): void {
    const mirrors: [string, Predict][] = predictors.map((p) => {
      const predict = new Predict(signatureFromWire(p.signature));
      predict.loadState(p.state);
      return [p.name, predict];
    });
    this[MIRRORS] = mirrors;
    const pending = this[PENDING_STATE];
    this[PENDING_STATE] = undefined;
    if (pending) super.loadState(pending);
  }

  private recordTrace(entries: ForwardResult["trace"]): void {
    const trace = currentSettings().trace;
    if (!trace || !this[MIRRORS]) return;
    const byName = new Map(this[MIRRORS]);
    const max = currentSettings().maxTraceSize ?? 10_000;
    for (const entry of entries) {
      const predictor = entry.predictor === null ? undefined : byName.get(entry.predictor);
      if (!predictor) continue;
      if (trace.length >= max) trace.shift();
      trace.push({ predictor, inputs: entry.inputs, prediction: new Prediction(entry.outputs) });
    }
  }
}

/** Our Signature for a DSPy predictor; a type we cannot read becomes `Any` (prompts are built in Python). */
export function signatureFromWire(wire: WireSignature): Signature {
  const fields = (list: WireField[]): Record<string, FieldSpec> =>
    Object.fromEntries(
      list.map((f) => {
        let type = f.type;
        try {
          parseTypeString(type);
        } catch {
          type = "Any";
        }
        const spec: FieldSpec = { type };
        if (f.desc) spec.desc = f.desc;
        if (f.prefix) spec.prefix = f.prefix;
        return [f.name, spec];
      }),
    );
  return Signature.fromMap({
    instructions: wire.instructions,
    inputs: fields(wire.inputs),
    outputs: fields(wire.outputs),
  });
}

/** Our Signature as the worker builds DSPy's from it. */
export function signatureToWire(signature: Signature): WireSignature {
  const field = (f: Signature["inputFields"][number]): WireField => ({
    name: f.name,
    // A zod/JSON-schema object has no Python class in the worker: DSPy sees a dict.
    // DSPy prints Optional[str] as "Union[str, NoneType]" but its signature parser knows only "None".
    type: f.type.kind === "object" ? "dict[str, Any]" : f.typeName.replace(/\bNoneType\b/g, "None"),
    desc: f.description,
    prefix: f.prefix,
  });
  return {
    instructions: signature.instructions,
    inputs: signature.inputFields.map(field),
    outputs: signature.outputFields.map(field),
  };
}

/** Examples and Predictions as plain records, recursively, for the channel. */
export function plain(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) {
    // The bridge refuses this too; saying so here keeps a cycle from overflowing the stack first.
    throw new BridgeValueError(`an input is nested deeper than ${MAX_VALUE_DEPTH} levels, or is circular`, {
      context: { maxDepth: MAX_VALUE_DEPTH },
      fix: "send plain, acyclic data; flatten deep structures or send them as a JSON string",
    });
  }
  if (value instanceof Example) return plain(value.toDict(), depth + 1);
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  if (value instanceof Float32Array || value instanceof Float64Array) return Array.from(value);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, depth + 1)]));
  }
  return value;
}

export function isPythonError(error: unknown, ...types: string[]): error is PythonError {
  return error instanceof PythonError && types.includes(error.pythonType);
}

/**
 * Prepares every Python-backed module inside `program` (their predictors are known only once
 * the worker has described them), so that `load()`/`loadState()` find them before any run.
 */
export function preparePythonModules(program: Module): Promise<void> {
  return prepareProgram(program);
}

/** The capability-table operation of a DSPy module kind ("program_of_thought" -> "programOfThought"). */
function operationOf(kind: string): Operation {
  const op = kind.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  // A kind of the user's own runs where DSPy's modules do.
  return CAPABILITIES.has(op as Operation) ? (op as Operation) : "predict";
}
