/**
 * Pipeline steps. Each step reads the pipeline state and returns fields to merge into it.
 * Modules, plain functions, fan-outs, branches and cached steps share one small interface so
 * that a pipeline is just a list of them.
 */
import type * as Crypto from "node:crypto";
import { onFirstUse } from "../lazy.js";
import type { Fields } from "../modules/example.js";
import { Module } from "../modules/module.js";
import { Predict } from "../modules/predict.js";
import { Prediction } from "../modules/prediction.js";
import { Signature } from "../signature/signature.js";
import type { StepReport } from "./types.js";

const nodeCrypto = onFirstUse<typeof Crypto>("node:crypto");

export interface StepContext {
  signal: AbortSignal | undefined;
  /** Runs a child step with its own report (used by parallel and branch). */
  runChild(step: Step, state: Fields): Promise<{ output: Fields; report: StepReport }>;
}

export interface Step {
  readonly name: string;
  run(state: Fields, ctx: StepContext): Promise<Fields>;
}

export type StepFn = (state: Fields, ctx: { signal: AbortSignal | undefined }) => Fields | Promise<Fields>;

export interface StepOptions {
  /** Picks the step's inputs from the state (default: the module's input fields, or the whole state). */
  inputs?: (state: Fields) => Fields;
  /** Maps the step's result to the fields merged into the state (default: all its fields). */
  outputs?: (result: Fields) => Fields;
}

export type StepLike = Step | Module | StepFn;

/** A step from a module (native or Python-backed) or a function. */
export function step(name: string, target: Module | StepFn, options: StepOptions = {}): Step {
  if (target instanceof Module) {
    const signature = signatureOf(target);
    const pick =
      options.inputs ??
      (signature
        ? (s: Fields) =>
            pickFields(
              s,
              signature.inputFields.map((f) => f.name),
            )
        : (s: Fields) => s);
    return {
      name,
      async run(state) {
        const prediction = await target.call(pick(state));
        const fields = prediction instanceof Prediction ? prediction.toDict() : (prediction as Fields);
        return options.outputs ? options.outputs(fields) : fields;
      },
    };
  }
  return {
    name,
    async run(state, ctx) {
      const result = await target(options.inputs ? options.inputs(state) : state, { signal: ctx.signal });
      return options.outputs ? options.outputs(result) : result;
    },
  };
}

export type MergeStrategy = "object" | "concat" | ((results: Record<string, Fields>) => Fields);

/**
 * Fan-out: runs the steps concurrently on the same state and merges their outputs. "object"
 * merges fields (later steps win on clashes), "concat" concatenates same-named list fields, a
 * function gets each step's output by name.
 */
export function parallel(name: string, steps: StepLike[], options: { merge?: MergeStrategy } = {}): Step {
  const children = steps.map((s, i) => toStep(s, `${name}[${i}]`));
  const merge = options.merge ?? "object";
  return {
    name,
    async run(state, ctx) {
      const outputs = await Promise.all(children.map((c) => ctx.runChild(c, state).then((r) => r.output)));
      const byName = Object.fromEntries(children.map((c, i) => [c.name, outputs[i]!]));
      if (typeof merge === "function") return merge(byName);
      if (merge === "object") return Object.assign({}, ...outputs);
      const merged: Fields = {};
      for (const out of outputs) {
        for (const [k, v] of Object.entries(out)) {
          const prev = merged[k];
          merged[k] = prev === undefined ? v : [...toList(prev), ...toList(v)];
        }
      }
      return merged;
    },
  };
}

/** Runs `ifTrue` or `ifFalse` (if given) depending on the state. */
export function branch(
  name: string,
  predicate: (state: Fields) => boolean | Promise<boolean>,
  ifTrue: StepLike,
  ifFalse?: StepLike,
): Step {
  const yes = toStep(ifTrue, `${name}:then`);
  const no = ifFalse === undefined ? undefined : toStep(ifFalse, `${name}:else`);
  return {
    name,
    async run(state, ctx) {
      const chosen = (await predicate(state)) ? yes : no;
      return chosen ? (await ctx.runChild(chosen, state)).output : {};
    },
  };
}

/** Where a cached step keeps its entries; share one between steps (or copies of a program) to share hits. */
export type CacheStore = Map<string, { at: number; output: Fields }>;

/**
 * Memoises a step by its input state for `ttlMs`. Keys are hashes of the state's JSON, so only
 * JSON-representable state is cached; the entries live in this step object unless a `store` is
 * given (bounded by maxEntries, oldest first).
 */
export function cached(
  inner: StepLike,
  options: { ttlMs: number; maxEntries?: number; name?: string; store?: CacheStore },
): Step {
  const target = toStep(inner, options.name ?? "cached");
  const entries: CacheStore = options.store ?? new Map();
  const max = options.maxEntries ?? 1000;
  return {
    name: options.name ?? target.name,
    async run(state, ctx) {
      // The inner step's name is part of the key, so steps sharing a store never read each other's entries.
      const key = nodeCrypto()
        .createHash("sha256")
        .update(JSON.stringify([target.name, state]))
        .digest("hex");
      const hit = entries.get(key);
      if (hit && Date.now() - hit.at < options.ttlMs) return structuredClone(hit.output);
      const output = await target.run(state, ctx);
      entries.delete(key);
      entries.set(key, { at: Date.now(), output: structuredClone(output) });
      if (entries.size > max) entries.delete(entries.keys().next().value as string);
      return output;
    },
  };
}

export function toStep(s: StepLike, fallbackName: string): Step {
  if (s instanceof Module) return step(fallbackName, s);
  if (typeof s === "function") return step(s.name || fallbackName, s);
  return s;
}

function signatureOf(module: Module): Signature | undefined {
  if (module instanceof Predict) return module.signature;
  const own = (module as unknown as { signature?: unknown }).signature;
  if (own instanceof Signature) return own;
  const inner = (module as unknown as { predict?: unknown }).predict;
  return inner instanceof Predict ? inner.signature : undefined;
}

function pickFields(state: Fields, names: string[]): Fields {
  const out: Fields = {};
  for (const n of names) if (n in state) out[n] = state[n];
  return out;
}

function toList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}
