/**
 * DSPy's LM-judged metrics (dspy/evaluate/auto_evaluation.py) as native modules: the same
 * signatures (instructions, fields, descriptions) run through our ChainOfThought, and the same
 * clamped F1 of the judge's two fractions. During optimization (a trace is given) the score
 * becomes `score >= threshold`, as in DSPy.
 */
import { ChainOfThought } from "../modules/chain-of-thought.js";
import type { Example, Fields } from "../modules/example.js";
import { Module } from "../modules/module.js";
import { Prediction } from "../modules/prediction.js";
import type { TraceEntry } from "../runtime/settings.js";
import { Signature } from "../signature/signature.js";
import type { MetricModule } from "./types.js";

const RECALL = "fraction (out of 1.0) of ground truth covered by the system response";
const PRECISION = "fraction (out of 1.0) of system response covered by the ground truth";
const JUDGED_INPUTS = { question: "str", ground_truth: "str", system_response: "str" };

export const SemanticRecallPrecision = Signature.from({
  instructions:
    "Compare a system's response to the ground truth to compute its recall and precision.\n" +
    "If asked to reason, enumerate key ideas in each response, and whether they are present in the other response.",
  inputs: JUDGED_INPUTS,
  outputs: {
    recall: { type: "float", desc: RECALL },
    precision: { type: "float", desc: PRECISION },
  },
});

export const DecompositionalSemanticRecallPrecision = Signature.from({
  instructions:
    "Compare a system's response to the ground truth to compute recall and precision of key ideas.\n" +
    "You will first enumerate key ideas in each response, discuss their overlap, and then report recall and precision.",
  inputs: JUDGED_INPUTS,
  outputs: {
    ground_truth_key_ideas: { type: "str", desc: "enumeration of key ideas in the ground truth" },
    system_response_key_ideas: { type: "str", desc: "enumeration of key ideas in the system response" },
    discussion: { type: "str", desc: "discussion of the overlap between ground truth and system response" },
    recall: { type: "float", desc: RECALL },
    precision: { type: "float", desc: PRECISION },
  },
});

export const AnswerCompleteness = Signature.from({
  instructions:
    "Estimate the completeness of a system's responses, against the ground truth.\n" +
    "You will first enumerate key ideas in each response, discuss their overlap, and then report completeness.",
  inputs: JUDGED_INPUTS,
  outputs: {
    ground_truth_key_ideas: { type: "str", desc: "enumeration of key ideas in the ground truth" },
    system_response_key_ideas: { type: "str", desc: "enumeration of key ideas in the system response" },
    discussion: { type: "str", desc: "discussion of the overlap between ground truth and system response" },
    completeness: { type: "float", desc: RECALL },
  },
});

export const AnswerGroundedness = Signature.from({
  instructions:
    "Estimate the groundedness of a system's responses, against real retrieved documents written by people.\n" +
    "You will first enumerate whatever non-trivial or check-worthy claims are made in the system response, and then\n" +
    "discuss the extent to which some or all of them can be deduced from the retrieved context and basic commonsense.",
  inputs: { question: "str", retrieved_context: "str", system_response: "str" },
  outputs: {
    system_response_claims: {
      type: "str",
      desc: "enumeration of non-trivial or check-worthy claims in the system response",
    },
    discussion: { type: "str", desc: "discussion of how supported the claims are by the retrieved context" },
    groundedness: {
      type: "float",
      desc: "fraction (out of 1.0) of system response supported by the retrieved context",
    },
  },
});

/** DSPy's `f1_score(precision, recall)` with both clamped to [0, 1] (Python's min/max, NaN included). */
export function judgedF1(precision: number, recall: number): number {
  const p = pyMax(0.0, pyMin(1.0, precision));
  const r = pyMax(0.0, pyMin(1.0, recall));
  return p + r === 0 ? 0.0 : (2 * (p * r)) / (p + r);
}

export interface SemanticF1Options {
  /** Minimum F1 accepted during optimization (default 0.66). */
  threshold?: number;
  /** Enumerate and discuss key ideas before scoring (DecompositionalSemanticRecallPrecision). */
  decompositional?: boolean;
}

/** Inputs of a metric module's `forward`, when it is called as a module. */
export interface JudgeInputs extends Fields {
  example: Example | Fields;
  prediction: Example | Fields;
  trace?: readonly TraceEntry[] | null;
}

/** Semantic F1 between `prediction.response` and `example.response`, judged by the LM. */
export class SemanticF1 extends Module implements MetricModule {
  threshold: number;
  readonly module: ChainOfThought;

  constructor(options: SemanticF1Options = {}) {
    super();
    this.threshold = options.threshold ?? 0.66;
    this.module = new ChainOfThought(
      options.decompositional ? DecompositionalSemanticRecallPrecision : SemanticRecallPrecision,
    );
  }

  /** DSPy's `metric(example, pred, trace)`. */
  score(
    example: Example | Fields,
    prediction: Example | Fields,
    trace?: readonly TraceEntry[] | null,
  ): Promise<Prediction> {
    return this.call({ example, prediction, trace: trace ?? null });
  }

  async forward(inputs: Fields): Promise<Prediction> {
    const { example, prediction, trace } = inputs as JudgeInputs;
    const scores = await this.module.call({
      question: example.question,
      ground_truth: example.response,
      system_response: prediction.response,
    });
    const score = judgedF1(scores.precision as number, scores.recall as number);
    return new Prediction({ score: trace == null ? score : score >= this.threshold });
  }
}

/** The F1 of completeness (against `example.response`) and groundedness (against `prediction.context`). */
export class CompleteAndGrounded extends Module implements MetricModule {
  threshold: number;
  readonly completeness_module: ChainOfThought;
  readonly groundedness_module: ChainOfThought;

  constructor(options: { threshold?: number } = {}) {
    super();
    this.threshold = options.threshold ?? 0.66;
    // Property names follow DSPy's, so predictor paths (and saved state) match.
    this.completeness_module = new ChainOfThought(AnswerCompleteness);
    this.groundedness_module = new ChainOfThought(AnswerGroundedness);
  }

  score(
    example: Example | Fields,
    prediction: Example | Fields,
    trace?: readonly TraceEntry[] | null,
  ): Promise<Prediction> {
    return this.call({ example, prediction, trace: trace ?? null });
  }

  async forward(inputs: Fields): Promise<Prediction> {
    const { example, prediction, trace } = inputs as JudgeInputs;
    const completeness = await this.completeness_module.call({
      question: example.question,
      ground_truth: example.response,
      system_response: prediction.response,
    });
    const groundedness = await this.groundedness_module.call({
      question: example.question,
      retrieved_context: prediction.context,
      system_response: prediction.response,
    });
    const score = judgedF1(groundedness.groundedness as number, completeness.completeness as number);
    return new Prediction({ score: trace == null ? score : score >= this.threshold });
  }
}

function pyMin(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Python's min keeps `a` when `b` is NaN; Math.min returns NaN.
  return b < a ? b : a;
}

function pyMax(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Python's max keeps `a` when `b` is NaN; Math.max returns NaN.
  return b > a ? b : a;
}
