/**
 * DSPy's Refine: BestOfN plus feedback. After an attempt that misses the threshold, an LM call
 * with DSPy's OfferFeedback signature reads the program's code, its predictors, the trajectory
 * and the reward, and returns advice per predictor; the next attempt gives each predictor its
 * advice as an extra `hint_` input (DSPy's WrapperAdapter; here a per-predictor override in context).
 */
import { dedent, pySplitlines } from "../py/builtins.js";
import { fieldDescriptions } from "../adapters/prompt-parts.js";
import { Signature } from "../signature/signature.js";
import {
  type Attempt,
  type BestOfNOptions,
  keepBest,
  ON_ATTEMPT_ERROR,
  REWARD_FN,
  moduleLM,
  nthRolloutId,
  type RewardFn,
  reportAttemptError,
  runAttempt,
  startRolloutId,
} from "./best-of-n.js";
import type { Fields } from "./example.js";
import { Module } from "./module.js";
import { Predict } from "./predict.js";
import type { Prediction } from "./prediction.js";
import type { PredictorOverrides } from "../runtime/overrides.js";
import { context, currentSettings, type Settings, type TraceEntry } from "../runtime/settings.js";

/** DSPy's WrapperAdapter field: "A hint to the module from an earlier run". */
const HINT_DESC = "A hint to the module from an earlier run";

export type RefineOptions<I extends Fields = Fields, O extends Fields = Fields> = BestOfNOptions<I, O>;

let offerFeedback: Signature | undefined;

/** DSPy's OfferFeedback signature, field for field (including its "kind ofscenario" join). */
export function offerFeedbackSignature(): Signature {
  offerFeedback ??= Signature.fromMap({
    instructions: `
    In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if
    any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if
    it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.
    The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you
    to avoid the same mistake on the same or similar inputs.
    `,
    inputs: {
      program_code: { type: "str", desc: "The code of the program that we are analyzing" },
      modules_defn: { type: "str", desc: "The definition of each module in the program, including its I/O" },
      program_inputs: { type: "str", desc: "The inputs to the program that we are analyzing" },
      program_trajectory: {
        type: "str",
        desc: "The trajectory of the program's execution, showing each module's I/O",
      },
      program_outputs: { type: "str", desc: "The outputs of the program that we are analyzing" },
      reward_code: { type: "str", desc: "The code of the reward function that we are analyzing" },
      target_threshold: { type: "float", desc: "The target threshold for the reward function" },
      reward_value: { type: "float", desc: "The reward value assigned to the program's outputs" },
      module_names: {
        type: "list[str]",
        desc: "The names of the modules in the program, for which we seek advice",
      },
    },
    outputs: {
      discussion: { type: "str", desc: "Discussing blame of where each module went wrong, if it did" },
      advice: {
        type: "dict[str, str]",
        desc:
          "For each module, describe very concretely, in this order: the specific scenarios in which it has made " +
          "mistakes in the past and what each mistake was, followed by what it should do differently in that kind of" +
          "scenario in the future. If the module is not to blame, write N/A.",
      },
    },
  });
  return offerFeedback;
}

/** Typed as the module it wraps: same inputs, same prediction fields. */
export class Refine<I extends Fields = Fields, O extends Fields = Fields> extends Module<I, O> {
  readonly module: Module<I, O>;
  readonly N: number;
  readonly threshold: number;
  readonly failCount: number;
  /** DSPy sends `inspect.getsource` of the module's class and of the reward function. */
  readonly moduleCode: string;
  readonly rewardFnCode: string;
  readonly [REWARD_FN]: RewardFn;
  readonly [ON_ATTEMPT_ERROR]: BestOfNOptions["onAttemptError"];

  constructor(module: Module<I, O>, options: RefineOptions<I, O>) {
    super();
    this.module = module;
    this.N = options.N;
    this.threshold = options.threshold;
    this.failCount = options.failCount || options.N;
    this[REWARD_FN] = options.rewardFn as RewardFn;
    this[ON_ATTEMPT_ERROR] = options.onAttemptError;
    this.moduleCode = module.constructor.toString();
    this.rewardFnCode = options.rewardFn.toString();
  }

  async forward(inputs: I): Promise<Prediction<O>> {
    const settings = currentSettings();
    const start = startRolloutId(this.module, settings);
    const named = this.module.namedPredictors();
    const nameOf = new Map(named.map(([name, p]) => [p as unknown, name]));
    const moduleNames = named.map(([name]) => name);
    let best: Attempt | undefined;
    let advice: Readonly<Record<string, unknown>> | undefined;
    let failCount = this.failCount;
    let lastError: unknown;
    for (let idx = 0; idx < this.N; idx++) {
      const rolloutId = nthRolloutId(start, idx);
      try {
        const given = advice;
        const extra: PredictorOverrides | undefined = given
          ? (p) => ({ inputs: [{ name: "hint_", description: HINT_DESC, value: hintFor(given, nameOf.get(p)) }] })
          : undefined;
        const attempt = await runAttempt(this.module, inputs, settings, rolloutId, this[REWARD_FN], extra);
        if (attempt.reward > (best?.reward ?? Number.NEGATIVE_INFINITY)) best = attempt;
        if (attempt.reward >= this.threshold) break;
        if (idx === this.N - 1) break;
        advice = await this.advise(inputs, attempt, nameOf, moduleNames, settings);
      } catch (error) {
        lastError = error;
        reportAttemptError("Refine", this[ON_ATTEMPT_ERROR], error, idx, rolloutId);
        if (idx > failCount) throw error;
        failCount--;
      }
    }
    return keepBest("Refine", best, settings, this.N, lastError) as Prediction<O>;
  }

  /** One OfferFeedback call; non-string inputs are sent as indented JSON, as DSPy's orjson dump. */
  private async advise(
    inputs: Fields,
    attempt: Attempt,
    nameOf: ReadonlyMap<unknown, string>,
    moduleNames: readonly string[],
    settings: Settings,
  ): Promise<Readonly<Record<string, unknown>>> {
    const trajectory = attempt.trace.map((entry: TraceEntry) => ({
      module_name: nameOf.get(entry.predictor) ?? "<unknown>",
      inputs: entry.inputs,
      outputs: entry.prediction.toDict(),
    }));
    const adviseInputs: Fields = {
      program_code: this.moduleCode,
      modules_defn: inspectModules(this.module),
      program_inputs: dumpJSON(inputs),
      program_trajectory: dumpJSON(trajectory),
      program_outputs: dumpJSON(attempt.prediction.toDict()),
      reward_code: this.rewardFnCode,
      target_threshold: pyFloat(this.threshold),
      reward_value: pyFloat(attempt.reward),
      module_names: dumpJSON(moduleNames),
    };
    const feedback = new Predict(offerFeedbackSignature());
    // DSPy asks settings.lm, outside the attempt's rollout and hints; the module's LM stands in
    // when none is configured.
    const lm = settings.lm ?? moduleLM(this.module);
    // Unlike DSPy, the feedback call stays out of the caller's trace: optimizers reading the
    // trace would meet a predictor that is not part of the program.
    const prediction = await context({ lm, trace: undefined }, () => feedback.call(adviseInputs));
    const advice = prediction.advice;
    return typeof advice === "object" && advice !== null ? (advice as Record<string, unknown>) : {};
  }
}

function hintFor(advice: Readonly<Record<string, unknown>>, name: string | undefined): string {
  if (name === undefined || !Object.hasOwn(advice, name)) return "N/A";
  const value = advice[name];
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** DSPy's `inspect_modules`: each predictor's fields and instructions between 80-dash rules. */
export function inspectModules(program: Module): string {
  const separator = "-".repeat(80);
  const tabbed = (text: string) => ["", ...pySplitlines(text)].join("\n\t\t");
  const output = [separator];
  for (const [name, p] of program.namedPredictors()) {
    if (!(p instanceof Predict)) continue;
    const sig = p.signature;
    output.push(`Module ${name}`);
    output.push("\n\tInput Fields:");
    output.push(tabbed(fieldDescriptions(sig.inputFields)));
    output.push("\tOutput Fields:");
    output.push(tabbed(fieldDescriptions(sig.outputFields)));
    output.push(`\tOriginal Instructions: ${tabbed(dedent(sig.instructions))}`);
    output.push(separator);
  }
  return output.map((o) => o.replace(/^\n+|\n+$/g, "")).join("\n");
}

/** orjson.dumps(recursive_mask(v), OPT_INDENT_2): unserializable values become a placeholder. */
export function dumpJSON(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "function") return `<non-serializable: ${v.name || "function"}>`;
      if (typeof v === "bigint") return Number(v);
      if (typeof v === "symbol" || v === undefined) return null;
      return v;
    },
    2,
  );
}

/** A Python float's repr for the numbers DSPy types as float (1 -> "1.0"). */
function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? x.toFixed(1) : String(x);
}
