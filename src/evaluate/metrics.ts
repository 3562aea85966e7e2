/**
 * DSPy's answer metrics (dspy/evaluate/metrics.py) with the same results on the same strings:
 * EM is a boolean, F1 a number, `answerExactMatch`'s `frac` switches from EM to an F1 threshold.
 * Golden cases from DSPy 3.4.1 live in test/fixtures/metrics.json.
 */
import type { Fields } from "../modules/example.js";
import type { TraceEntry } from "../runtime/settings.js";
import { MetricError } from "./errors.js";
import { dprNormalize, hasAnswer, normalizeText } from "./normalize.js";

export { dprNormalize, hasAnswer, normalizeText, PY_PUNCTUATION, pySplit } from "./normalize.js";

/** Exact match of one prediction against one reference, after normalisation. */
export function emScore(prediction: string, groundTruth: string): boolean {
  return normalizeText(text(prediction, "prediction")) === normalizeText(text(groundTruth, "ground truth"));
}

/** Token-level F1 of one prediction against one reference (0 when nothing overlaps, even if both are empty). */
export function f1Score(prediction: string, groundTruth: string): number {
  return tokenF1(
    tokens(normalizeText(text(prediction, "prediction"))),
    tokens(normalizeText(text(groundTruth, "ground truth"))),
  );
}

/** HotPotQA F1: "yes", "no" and "noanswer" score 0 unless both sides are that same label. */
export function hotpotF1Score(prediction: string, groundTruth: string): number {
  const p = normalizeText(text(prediction, "prediction"));
  const g = normalizeText(text(groundTruth, "ground truth"));
  if (p !== g && (SPECIAL.has(p) || SPECIAL.has(g))) return 0;
  return tokenF1(tokens(p), tokens(g));
}

/** Token precision: overlapping tokens over prediction tokens. */
export function precisionScore(prediction: string, groundTruth: string): number {
  const p = tokens(normalizeText(text(prediction, "prediction")));
  const g = tokens(normalizeText(text(groundTruth, "ground truth")));
  const same = overlap(p, g);
  return same === 0 ? 0 : (1.0 * same) / p.length;
}

/** DSPy's `EM`: whether any reference matches the prediction exactly after normalisation. */
export function exactMatch(prediction: string, answers: readonly string[]): boolean {
  return best(
    answers,
    "EM",
    (a) => emScore(prediction, a),
    (x, y) => x || y,
  );
}

/** DSPy's `F1`: the best token F1 over the references. */
export function f1(prediction: string, answers: readonly string[]): number {
  return best(answers, "F1", (a) => f1Score(prediction, a), Math.max);
}

/** DSPy's `HotPotF1`: the best HotPotQA F1 over the references. */
export function hotpotF1(prediction: string, answers: readonly string[]): number {
  return best(answers, "HotPotF1", (a) => hotpotF1Score(prediction, a), Math.max);
}

export interface AnswerMatchOptions {
  /** 1.0 (the default) or more means exact match; below it, the best F1 must reach `frac`. */
  frac?: number;
}

/**
 * DSPy's `answer_exact_match`: `prediction.answer` against `example.answer` (a string or a list of
 * strings). The third argument is either options or, when used as an optimizer metric, the trace.
 */
export function answerExactMatch(
  example: Fields,
  prediction: Fields,
  options?: AnswerMatchOptions | readonly TraceEntry[] | null,
): boolean {
  const frac = options && !Array.isArray(options) ? ((options as AnswerMatchOptions).frac ?? 1.0) : 1.0;
  const answers = goldAnswers(example);
  const predicted = prediction.answer as string;
  if (frac >= 1.0) return exactMatch(predicted, answers);
  return f1(predicted, answers) >= frac;
}

/** DSPy's `answer_passage_match`: whether any passage in `prediction.context` contains any gold answer. */
export function answerPassageMatch(
  example: Fields,
  prediction: Fields,
  _trace?: readonly TraceEntry[] | null,
): boolean {
  const answers = goldAnswers(example).map((a) => dprNormalize(normalizeText(text(a, "answer"))));
  const context = prediction.context;
  // Python iterates whatever it is given; a string context is iterated character by character.
  const passages: unknown[] =
    typeof context === "string" ? Array.from(context) : Array.isArray(context) ? context : notPassages(context);
  return passages.some((p) => hasAnswer(answers, normalizeText(text(p, "passage"))));
}

const SPECIAL = new Set(["yes", "no", "noanswer"]);

function tokens(normalized: string): string[] {
  return normalized === "" ? [] : normalized.split(" ");
}

function overlap(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of b) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      counts.set(t, c - 1);
      same++;
    }
  }
  return same;
}

/** F1 with DSPy's operation order, so results agree to the last bit. */
function tokenF1(p: readonly string[], g: readonly string[]): number {
  const same = overlap(p, g);
  if (same === 0) return 0;
  const precision = (1.0 * same) / p.length;
  const recall = (1.0 * same) / g.length;
  return (2 * precision * recall) / (precision + recall);
}

function best<T>(answers: readonly string[], name: string, score: (a: string) => T, pick: (x: T, y: T) => T): T {
  if (!Array.isArray(answers)) {
    throw new MetricError(`${name}: answers must be a list, got ${pyTypeName(answers)}`, {
      fix: `pass the references as an array, e.g. ${name === "EM" ? "exactMatch" : name === "F1" ? "f1" : "hotpotF1"}(prediction, [answer])`,
    });
  }
  if (answers.length === 0) {
    throw new MetricError(`${name}: no reference answers to compare with`, { fix: "pass at least one answer" });
  }
  let result = score(answers[0]!);
  for (let i = 1; i < answers.length; i++) result = pick(result, score(answers[i]!));
  return result;
}

function goldAnswers(example: Fields): string[] {
  const answer = example.answer;
  if (typeof answer === "string") return [answer];
  if (Array.isArray(answer)) return answer as string[];
  throw new MetricError(`Invalid answer type: ${pyTypeName(answer)}`, {
    context: { answer },
    fix: "example.answer must be a string or a list of strings",
  });
}

function text(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  throw new MetricError(`The ${what} must be a string, got ${pyTypeName(value)}`, {
    context: { value },
    fix: "metrics compare strings; check the field names of the example and the prediction",
  });
}

function notPassages(context: unknown): never {
  throw new MetricError(`prediction.context must be a list of passages, got ${pyTypeName(context)}`, {
    fix: "return the retrieved passages as `context: string[]` from the program",
  });
}

function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return "NoneType";
  if (Array.isArray(value)) return "list";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  return typeof value === "object" ? "dict" : typeof value;
}
