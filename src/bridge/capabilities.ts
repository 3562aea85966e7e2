/**
 * The capability table: for each operation, which implementations exist and what each one is,
 * and for a Python implementation which pool runs it (`poolFor`): nothing else names a pool.
 *
 * - native: only a TypeScript implementation exists.
 * - python: only DSPy's exists; it runs in a worker pool and calls back into Node for the LM
 *   (and tools, programs, metrics, embedders) where it needs them.
 * - hybrid: both exist; native is the default and `{ implementation: "python" }` picks DSPy's.
 */

import { ConfigurationError } from "../errors.js";
import type { PresetName } from "./presets.js";

export type Implementation = "native" | "python";
export type CapabilityKind = "native" | "python" | "hybrid";

export interface ImplementationInfo {
  /** What runs: a TypeScript class or a DSPy class. */
  runs: string;
  /** The pool a Python implementation runs in. */
  pool?: PresetName;
  /** What the Python side calls back into Node for. */
  callsBack?: readonly string[];
}

export interface Capability {
  readonly op: string;
  readonly kind: CapabilityKind;
  readonly native?: ImplementationInfo;
  readonly python?: ImplementationInfo;
}

const native = (runs: string): ImplementationInfo => ({ runs });
const inModules = (runs: string, callsBack: readonly string[] = ["lm"]): ImplementationInfo => ({
  runs,
  pool: "modules",
  callsBack,
});
const optimizer = (runs: string, callsBack: readonly string[] = ["lm", "program", "metric"]): ImplementationInfo => ({
  runs,
  pool: "optimizers",
  callsBack,
});

const entries = [
  { op: "predict", kind: "hybrid", native: native("Predict"), python: inModules("dspy.Predict") },
  {
    op: "chainOfThought",
    kind: "hybrid",
    native: native("ChainOfThought"),
    python: inModules("dspy.ChainOfThought"),
  },
  { op: "bestOfN", kind: "native", native: native("BestOfN") },
  { op: "refine", kind: "native", native: native("Refine") },
  { op: "parallel", kind: "native", native: native("Parallel") },
  { op: "evaluate", kind: "native", native: native("Evaluate") },
  { op: "react", kind: "python", python: inModules("dspy.ReAct", ["lm", "tools"]) },
  { op: "programOfThought", kind: "python", python: inModules("dspy.ProgramOfThought (Deno sandbox)") },
  { op: "multiChainComparison", kind: "python", python: inModules("dspy.MultiChainComparison") },
  { op: "labeledFewShot", kind: "python", python: optimizer("dspy.LabeledFewShot", ["program"]) },
  { op: "bootstrapFewShot", kind: "python", python: optimizer("dspy.BootstrapFewShot") },
  {
    op: "bootstrapFewShotWithRandomSearch",
    kind: "python",
    python: optimizer("dspy.BootstrapFewShotWithRandomSearch"),
  },
  { op: "knnFewShot", kind: "python", python: optimizer("dspy.KNNFewShot", ["lm", "program", "metric", "embedder"]) },
  { op: "copro", kind: "python", python: optimizer("dspy.COPRO") },
  { op: "miproV2", kind: "python", python: optimizer("dspy.MIPROv2") },
  { op: "simba", kind: "python", python: optimizer("dspy.SIMBA") },
  { op: "gepa", kind: "python", python: optimizer("dspy.GEPA") },
  { op: "ensemble", kind: "python", python: optimizer("dspy.Ensemble", ["program"]) },
  { op: "bootstrapFinetune", kind: "python", python: optimizer("dspy.BootstrapFinetune") },
  {
    op: "retriever.colbertv2",
    kind: "python",
    python: { runs: "dspy.ColBERTv2", pool: "retrievers", callsBack: [] },
  },
  {
    op: "retriever.embeddings",
    kind: "hybrid",
    native: native("EmbeddingsRetriever (cosine top-k in memory)"),
    python: { runs: "dspy.retrievers.Embeddings", pool: "retrievers", callsBack: ["embedder"] },
  },
] as const satisfies readonly Capability[];

export type Operation = (typeof entries)[number]["op"];

for (const e of entries as readonly Capability[]) {
  const has = (e.native ? 1 : 0) + (e.python ? 2 : 0);
  const expected = { native: 1, python: 2, hybrid: 3 }[e.kind];
  if (has !== expected) throw new Error(`capability table: "${e.op}" is ${e.kind} but lists other implementations`);
}

/** The table, frozen: a router reads it, nothing writes it. */
export const CAPABILITIES: ReadonlyMap<Operation, Capability> = new Map(
  entries.map((e) => [e.op, Object.freeze(e as Capability)] as const),
);

export const OPERATIONS: readonly Operation[] = entries.map((e) => e.op);

/** The pool that runs `op`'s Python implementation. */
export function poolFor(op: Operation): PresetName {
  const pool = CAPABILITIES.get(op)?.python?.pool;
  if (pool === undefined) {
    throw new ConfigurationError(`"${op}" has no Python implementation, so no pool runs it`, {
      context: { op },
      fix: "use its native implementation",
    });
  }
  return pool;
}

/** The operation whose Python implementation is the DSPy class `runs` (e.g. "dspy.MIPROv2"). */
export function pythonOperation(runs: string): Operation | undefined {
  for (const [op, c] of CAPABILITIES) if (c.python?.runs === runs) return op;
  return undefined;
}
