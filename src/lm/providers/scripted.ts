import { contentText } from "../compat.js";
import { LMAbortedError, ScriptedLMExhaustedError } from "../errors.js";
import { pyJsonDumps, pyStr, pyStrip, wordCount } from "../../py/builtins.js";
import { mergeRequest } from "../request.js";
import { sleep } from "../retry.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk, Message } from "../types.js";

/** A record of output field values, or a string returned verbatim. */
export type ScriptedAnswer = string | Readonly<Record<string, unknown>>;

export interface ScriptedLMOptions {
  /** Answer with the outputs of the demo whose inputs match the current inputs (DummyLM's follow_examples). */
  followExamples?: boolean;
  /** Render records as ChatAdapter field sections (default) or as JSONAdapter's JSON object. */
  format?: "chat" | "json";
  /**
   * End chat-format answers with `[[ ## completed ## ]]`, as an LM following ChatAdapter's prompt does
   * (default true). DSPy's DummyLM leaves it out; pass false to get its text byte for byte.
   */
  completedMarker?: boolean;
  model?: string;
  provider?: string;
  defaults?: LM["defaults"];
  /** Wait this long before answering (to exercise concurrency and timeouts); default 0. */
  latencyMs?: number;
}

/** A request as the ScriptedLM received it (without its signal). */
export type RecordedLMRequest = Omit<LMRequest, "signal">;

const FIELD_HEADER = /^\[\[ ## ([\p{L}\p{N}_]+) ## \]\]/u;

/**
 * A scripted LM for tests, with DSPy's DummyLM semantics: answers come from a list (consumed in
 * order, one per completion) or from a map keyed by a substring of the last message (then of the
 * whole prompt), or are copied from a matching demo when `followExamples` is on.
 */
export class ScriptedLM implements LM {
  readonly specificationVersion = "v2" as const;
  readonly provider: string;
  readonly model: string;
  readonly defaults: LM["defaults"];
  /** Scripted answers are consumed in order; replaying one from the cache would skip the script. */
  readonly cacheable = false;
  /** Every request received, in order. */
  readonly requests: RecordedLMRequest[] = [];
  readonly #list: readonly ScriptedAnswer[] | undefined;
  readonly #map: ReadonlyMap<string, ScriptedAnswer> | undefined;
  readonly #options: ScriptedLMOptions;
  #position = 0;

  constructor(
    answers: readonly ScriptedAnswer[] | Readonly<Record<string, ScriptedAnswer>> = [],
    options: ScriptedLMOptions = {},
  ) {
    if (Array.isArray(answers)) this.#list = [...(answers as readonly ScriptedAnswer[])];
    else this.#map = new Map(Object.entries(answers as Record<string, ScriptedAnswer>));
    this.#options = options;
    this.provider = options.provider ?? "scripted";
    this.model = options.model ?? "scripted";
    this.defaults = options.defaults;
  }

  /** List answers not yet used (undefined for a map). */
  get remaining(): number | undefined {
    return this.#list === undefined ? undefined : this.#list.length - this.#position;
  }

  async generate(request: LMRequest): Promise<LMResponse> {
    const merged = mergeRequest(this.defaults, request);
    if (merged.signal?.aborted) throw new LMAbortedError(undefined, { provider: this.provider, model: this.model });
    const { signal: _signal, ...recorded } = merged;
    this.requests.push(recorded);
    if (this.#options.latencyMs) await sleep(this.#options.latencyMs, merged.signal);
    const n = Math.max(1, merged.n ?? 1);
    const outputs: string[] = [];
    for (let i = 0; i < n; i++) outputs.push(this.answer(merged.messages));
    let promptTokens = 0;
    for (const m of merged.messages) promptTokens += wordCount(contentText(m.content));
    let completionTokens = 0;
    for (const o of outputs) completionTokens += wordCount(o);
    return {
      outputs,
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
      model: this.model,
      cached: false,
      finishReasons: outputs.map(() => "stop"),
    };
  }

  async *stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    const response = await this.generate(request);
    for (const [index, text] of response.outputs.entries()) {
      const pieces = split(text, 4);
      for (const [k, delta] of pieces.entries()) {
        if (request.signal?.aborted)
          throw new LMAbortedError(undefined, { provider: this.provider, model: this.model });
        yield k === pieces.length - 1 ? { index, delta, finishReason: "stop" } : { index, delta };
      }
    }
    yield { index: 0, delta: "", usage: response.usage };
  }

  /** Renders an answer record exactly as the configured adapter's assistant turn. */
  format(answer: ScriptedAnswer): string {
    if (typeof answer === "string") return answer;
    if (this.#options.format === "json") return pyJsonDumps(answer, undefined, 2);
    const sections = Object.entries(answer).map(([name, value]) => `[[ ## ${name} ## ]]\n${fieldText(value)}`);
    const body = pyStrip(sections.join("\n\n"));
    return this.#options.completedMarker === false ? body : `${body}\n\n[[ ## completed ## ]]`;
  }

  private answer(messages: readonly Message[]): string {
    if (this.#options.followExamples) {
      const copied = followExample(messages);
      if (copied !== undefined) return copied;
    }
    if (this.#map !== undefined) {
      const last = textOf(messages.at(-1));
      for (const [key, answer] of this.#map) if (last.includes(key)) return this.format(answer);
      for (const [key, answer] of this.#map) {
        if (messages.some((m) => textOf(m).includes(key))) return this.format(answer);
      }
      throw new ScriptedLMExhaustedError(
        `No scripted answer matches this prompt; keys: ${[...this.#map.keys()].map((k) => JSON.stringify(k)).join(", ")}.`,
        { provider: this.provider, model: this.model, context: { lastMessage: last.slice(0, 200) } },
      );
    }
    const list = this.#list ?? [];
    const next = list[this.#position];
    if (next === undefined) {
      throw new ScriptedLMExhaustedError(
        `The ScriptedLM has run out of answers: all ${list.length} were used` +
          `${this.#options.followExamples ? " and no demo matched the inputs" : ""}.`,
        { provider: this.provider, model: this.model, context: { given: list.length } },
      );
    }
    this.#position++;
    return this.format(next);
  }
}

/**
 * DummyLM's `_use_example`: fields that head fewer messages than the most common field are
 * output fields; the answer is the latest message holding one of them whose preceding message
 * contains the current inputs (the first paragraph of the last message).
 */
export function followExample(messages: readonly Message[]): string | undefined {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const match = FIELD_HEADER.exec(textOf(m));
    if (match !== null) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const max = Math.max(...counts.values());
  const outputFields = [...counts].filter(([, c]) => c !== max).map(([field]) => field);
  const finalInput = textOf(messages.at(-1)).split("\n\n")[0] ?? "";
  for (let i = messages.length - 1; i >= 1; i--) {
    const output = messages[i];
    const input = messages[i - 1];
    if (output === undefined || input === undefined) continue;
    const outputText = textOf(output);
    if (outputFields.some((f) => outputText.includes(f)) && textOf(input).includes(finalInput)) {
      return outputText;
    }
  }
  return undefined;
}

/** A message's text; content parts (images, audio, files) contribute their text parts only. */
function textOf(message: Message | undefined): string {
  return message === undefined ? "" : contentText(message.content);
}

/** Splits text into about `parts` pieces on code point boundaries. */
function split(text: string, parts: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [""];
  const size = Math.ceil(chars.length / parts);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}

/** DSPy's `format_field_value` for an answer value: containers as `json.dumps`, the rest as `str()`. */
function fieldText(value: unknown): string {
  const plain = value instanceof Date ? value.toISOString() : value;
  return typeof plain === "object" && plain !== null ? pyJsonDumps(plain) : pyStr(plain);
}
