/**
 * Routing: native first, DSPy in the pool when there is no native implementation, and
 * `{ implementation }` to choose where both exist. `explain(op)` says where a call would go and
 * why; the factories build the module or retriever the route names.
 */
import { ChainOfThought, type ChainOfThoughtOptions } from "../modules/chain-of-thought.js";
import { closest } from "../suggest.js";
import { Predict, type PredictConfig } from "../modules/predict.js";
import { MultiChainComparison, type MultiChainComparisonOptions } from "../modules/python/multi-chain-comparison.js";
import { PythonChainOfThought, PythonPredict } from "../modules/python/predict.js";
import { ProgramOfThought, type ProgramOfThoughtOptions } from "../modules/python/program-of-thought.js";
import type { PythonModuleOptions } from "../modules/python/python-module.js";
import { ReAct, type ReActOptions } from "../modules/python/react.js";
import { EmbeddingsRetriever } from "../retrieve/native.js";
import {
  type ColBERTv2Options,
  ColBERTv2Retriever,
  type PythonEmbeddingsOptions,
  PythonEmbeddingsRetriever,
} from "../retrieve/python-retrievers.js";
import type { Retriever } from "../retrieve/retriever.js";
import type { Signature, SignatureMap } from "../signature/signature.js";
import {
  CAPABILITIES,
  type Capability,
  type CapabilityKind,
  type Implementation,
  OPERATIONS,
  type Operation,
} from "./capabilities.js";
import { ImpossibleOverrideError, PythonUnavailableError, UnknownOperationError } from "./errors.js";

export interface RouteOptions {
  implementation?: Implementation;
}

export interface RouteExplanation {
  op: Operation;
  kind: CapabilityKind;
  implementation: Implementation;
  /** The class that will run, e.g. "Predict" or "dspy.ReAct". */
  runs: string;
  pool?: string;
  callsBack?: readonly string[];
  /** The implementations this operation has. */
  available: Implementation[];
  reason: string;
}

export interface RouterOptions {
  /** When false, nothing is routed to Python: python-only operations throw PythonUnavailableError. */
  python?: boolean;
}

type SignatureInput = string | Signature | SignatureMap;

export class Router {
  readonly python: boolean;

  constructor(options: RouterOptions = {}) {
    this.python = options.python ?? true;
  }

  /** The capability table entry for `op`. */
  capability(op: string): Capability {
    const entry = CAPABILITIES.get(op as Operation);
    if (!entry) {
      const near = closest(op, OPERATIONS);
      throw new UnknownOperationError(`Unknown operation "${op}"`, {
        context: { op, valid: [...OPERATIONS] },
        fix: `${near ? `did you mean "${near}"? ` : ""}valid operations: ${OPERATIONS.join(", ")}`,
      });
    }
    return entry;
  }

  /** Where a call of `op` would go, and why. */
  explain(op: string, options: RouteOptions = {}): RouteExplanation {
    const entry = this.capability(op);
    const available = (["native", "python"] as const).filter((i) => entry[i] !== undefined);
    const requested = options.implementation;
    let implementation: Implementation;
    let reason: string;
    if (requested !== undefined) {
      if (requested !== "native" && requested !== "python") {
        throw new ImpossibleOverrideError(`"${String(requested)}" is not an implementation`, {
          context: { op, valid: available },
          fix: `use { implementation: ${available.map((a) => `"${a}"`).join(" | ")} }`,
        });
      }
      if (!entry[requested]) {
        throw new ImpossibleOverrideError(`"${op}" has no ${requested} implementation`, {
          context: { op, requested, valid: available },
          fix: `"${op}" runs as ${available.join(" or ")}; drop the override or use { implementation: "${available[0]}" }`,
        });
      }
      implementation = requested;
      reason = `{ implementation: "${requested}" } was asked for`;
    } else if (entry.native) {
      implementation = "native";
      reason = entry.python
        ? "native first: both implementations exist, native is the default"
        : "only a native implementation exists";
    } else {
      implementation = "python";
      reason = "no native implementation: falls back to DSPy in the worker pool";
    }
    if (implementation === "python" && !this.python) {
      throw new PythonUnavailableError(`"${op}" would run in Python, and this router does not use Python`, {
        context: { op, valid: available.filter((a) => a !== "python") },
        fix: entry.native ? 'use { implementation: "native" }' : "create the router with { python: true }",
      });
    }
    const info = entry[implementation] ?? { runs: "?" };
    return {
      op: entry.op as Operation,
      kind: entry.kind,
      implementation,
      runs: info.runs,
      ...(info.pool ? { pool: info.pool } : {}),
      ...(info.callsBack ? { callsBack: info.callsBack } : {}),
      available,
      reason,
    };
  }

  /** Just the implementation `op` routes to. */
  resolve(op: string, options: RouteOptions = {}): Implementation {
    return this.explain(op, options).implementation;
  }

  predict(
    signature: SignatureInput,
    options: RouteOptions & PredictConfig & PythonModuleOptions = {},
  ): Predict | PythonPredict {
    const { implementation, pool, lm, timeoutMs, ...config } = options;
    if (this.resolve("predict", { ...(implementation ? { implementation } : {}) }) === "native") {
      const predict = new Predict(signature, config);
      if (lm) predict.lm = lm;
      return predict;
    }
    return new PythonPredict(signature, { ...pythonOptions({ pool, lm, timeoutMs }), config });
  }

  chainOfThought(
    signature: SignatureInput,
    options: RouteOptions & ChainOfThoughtOptions & PythonModuleOptions = {},
  ): ChainOfThought | PythonChainOfThought {
    const { implementation, pool, lm, timeoutMs, rationaleDesc, ...config } = options;
    if (this.resolve("chainOfThought", { ...(implementation ? { implementation } : {}) }) === "native") {
      const cot = new ChainOfThought(signature, { ...config, ...(rationaleDesc ? { rationaleDesc } : {}) });
      if (lm) cot.predict.lm = lm;
      return cot;
    }
    return new PythonChainOfThought(signature, { ...pythonOptions({ pool, lm, timeoutMs }), config });
  }

  react(signature: SignatureInput, options: ReActOptions & RouteOptions): ReAct {
    this.resolve("react", options);
    return new ReAct(signature, options);
  }

  programOfThought(signature: SignatureInput, options: ProgramOfThoughtOptions & RouteOptions = {}): ProgramOfThought {
    this.resolve("programOfThought", options);
    return new ProgramOfThought(signature, options);
  }

  multiChainComparison(
    signature: SignatureInput,
    options: MultiChainComparisonOptions & RouteOptions = {},
  ): MultiChainComparison {
    this.resolve("multiChainComparison", options);
    return new MultiChainComparison(signature, options);
  }

  retriever(kind: "colbertv2", options: ColBERTv2Options & RouteOptions): Retriever;
  retriever(kind: "embeddings", options: PythonEmbeddingsOptions & RouteOptions): Retriever;
  retriever(kind: string, options: (ColBERTv2Options | PythonEmbeddingsOptions) & RouteOptions): Retriever {
    const implementation = this.resolve(`retriever.${kind}`, options);
    if (kind === "colbertv2") return new ColBERTv2Retriever(options as ColBERTv2Options);
    const embeddings = options as PythonEmbeddingsOptions;
    if (implementation === "native") {
      return new EmbeddingsRetriever({
        corpus: embeddings.corpus,
        embedder: embeddings.embedder,
        ...(embeddings.k !== undefined ? { k: embeddings.k } : {}),
      });
    }
    return new PythonEmbeddingsRetriever(embeddings);
  }
}

function pythonOptions(o: PythonModuleOptions): PythonModuleOptions {
  const out: PythonModuleOptions = {};
  if (o.pool) out.pool = o.pool;
  if (o.lm) out.lm = o.lm;
  if (o.timeoutMs !== undefined) out.timeoutMs = o.timeoutMs;
  return out;
}

/** A router with the default table and Python allowed; immutable, so safe to share. */
export const router: Router = Object.freeze(new Router());
