/**
 * A rule-driven LM for optimizer tests. It reads DSPy/ChatAdapter prompts and answers every
 * signature it is shown (proposers included) with well-formed fields. For the capital-city
 * task it knows the answer only when the prompt holds demos or when the instructions call it
 * a "capital-city expert", so demos and instructions decide the score.
 */
import type { PythonPool } from "../../src/bridge/pool.js";
import type { Metric } from "../../src/evaluate/types.js";
import { PythonPool as Pool } from "../../src/bridge/pool.js";
import { collectingLogger } from "../bridge/helpers.js";
import type { LM, LMRequest, LMResponse, Message } from "../../src/lm/types.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Example } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { contentText } from "../../src/lm/compat.js";

export const CAPITALS: Record<string, string> = {
  France: "Paris",
  Italy: "Rome",
  Spain: "Madrid",
  Germany: "Berlin",
  Portugal: "Lisbon",
  Austria: "Vienna",
  Greece: "Athens",
  Norway: "Oslo",
  Sweden: "Stockholm",
  Poland: "Warsaw",
  Ireland: "Dublin",
  Hungary: "Budapest",
};

export const MAGIC = "capital-city expert";

/** The test metric: the predicted answer is the labeled one. */
export const metric: Metric = (example, prediction) => example.answer === prediction.answer;

export function capitalExamples(countries: string[]): Example[] {
  return countries.map((c) =>
    new Example({ question: `What is the capital of ${c}?`, answer: CAPITALS[c]! }).withInputs("question"),
  );
}

/** Two predictors: keywords, then a chain of thought that answers from question and keywords. */
export class CapitalQA extends Module<{ question: string }> {
  readonly keywords = new Predict("question -> keywords");
  readonly answer = new ChainOfThought("question, keywords -> answer");

  async forward(inputs: { question: string }): Promise<Prediction> {
    const { keywords } = await this.keywords.call({ question: inputs.question });
    return this.answer.call({ question: inputs.question, keywords });
  }
}

const OUTPUT_LIST = /Your output fields are:\n([\s\S]*?)(?:\n\n|$)/;
const FIELD_LINE = /^\d+\. `([^`]+)` \(([^)]*)\)/gm;

function outputFields(system: string): [string, string][] {
  const block = OUTPUT_LIST.exec(system)?.[1] ?? "";
  return [...block.matchAll(FIELD_LINE)].map((m) => [m[1]!, m[2]!]);
}

function valueFor(type: string, text: string): string {
  if (type.startsWith("int") || type.startsWith("float")) return "1";
  if (type.startsWith("bool")) return "True";
  if (type.startsWith("list")) return "[]";
  if (type.startsWith("dict")) return "{}";
  const literal = /^Literal\['([^']*)'/.exec(type);
  if (literal) return literal[1]!;
  return text;
}

export interface RuleLMOptions {
  /** Answers without demos when the instructions hold MAGIC (default true). */
  instructionsHelp?: boolean;
  /** Text the LM proposes when asked for an instruction. */
  proposal?: string;
  /** Wait this long before answering (cancellation tests). */
  latencyMs?: number;
  /** Fixed answers for output fields by name (e.g. ProgramOfThought's generated_code). */
  fields?: Record<string, string>;
}

export class RuleLM implements LM {
  readonly specificationVersion = "v1" as const;
  readonly provider = "rules";
  readonly model: string;
  readonly cacheable = false;
  readonly requests: LMRequest[] = [];
  constructor(
    model = "rules",
    private readonly options: RuleLMOptions = {},
  ) {
    this.model = model;
  }

  async generate(request: LMRequest): Promise<LMResponse> {
    this.requests.push(request);
    if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
    const text = this.answer(request.messages);
    const n = Math.max(1, request.n ?? 1);
    const outputs = Array.from({ length: n }, () => text);
    return {
      outputs,
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      model: this.model,
      cached: false,
    };
  }

  stream(): AsyncIterable<never> {
    return {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("RuleLM does not stream")) }),
    };
  }

  /** The text this LM answers `messages` with (loopback servers in other tests answer with it too). */
  answer(messages: readonly Message[]): string {
    const system = messages[0]?.role === "system" ? contentText(messages[0].content) : "";
    const last = contentText(messages.at(-1)?.content ?? "");
    const fields = outputFields(system);
    if (fields.length === 0) return `${this.options.proposal ?? `You are a ${MAGIC}.`}`;
    const country = /What is the capital of (\w+)\?/.exec(last)?.[1];
    const hasDemos = messages.length > 2;
    const knows = hasDemos || ((this.options.instructionsHelp ?? true) && system.includes(MAGIC));
    const values = fields.map(([name, type]): [string, string] => {
      let value: string;
      const fixed = this.options.fields?.[name];
      if (fixed !== undefined) value = fixed;
      else if (name === "answer" && country) value = knows ? (CAPITALS[country] ?? "unknown") : "I do not know";
      else if (name === "keywords" && country) value = `capital, ${country}`;
      else if (name === "reasoning") value = "Thinking it through.";
      else if (/instruction/.test(name))
        value = this.options.proposal ?? `You are a ${MAGIC}. Answer with the capital.`;
      else value = valueFor(type, `A ${name}.`);
      return [name, value];
    });
    // JSONAdapter prompts (GEPA's proposer, fallbacks) get a JSON object.
    if (system.includes("Outputs will be a JSON object")) return JSON.stringify(Object.fromEntries(values));
    const parts = values.map(([name, value]) => `[[ ## ${name} ## ]]\n${value}`);
    return `${parts.join("\n\n")}\n\n[[ ## completed ## ]]`;
  }
}

/** One pool per test file, with the optimizer tools loaded. */
export function startOptimizerPool(options: { size?: number } = {}): Promise<PythonPool> {
  return Pool.start({
    name: "optimize-test",
    size: options.size ?? 1,
    concurrency: 2,
    modules: ["dspex_worker.optimize"],
    logger: collectingLogger(),
    timeoutMs: 0,
  });
}

/** Percentage of held-out examples answered right, run in Node. */
export async function heldOutScore(program: Module, lm: LM, data: Example[]): Promise<number> {
  const { context } = await import("../../src/runtime/settings.js");
  let right = 0;
  for (const ex of data) {
    const pred = await context({ lm, cache: false }, () => program.call(ex.inputs().toDict()));
    if (pred.answer === ex.answer) right++;
  }
  return (100 * right) / data.length;
}
