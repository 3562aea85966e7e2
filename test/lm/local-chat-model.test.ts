/**
 * The ChatAdapter layout grammar against the real embedded model (the one set-up installs, or
 * $DSPEX_MODEL): llama.cpp accepts every grammar we build, typed Predicts parse on the first
 * try (no JSONAdapter re-run), nothing echoes a placeholder, and ChainOfThought finishes with no
 * token cap given. Slow: it runs the model (a few short generations).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { chatGrammar } from "../../src/lm/providers/local-chat-grammar.js";
import { local } from "../../src/lm/providers/local.js";
import { localRuntime, unloadLocalModels } from "../../src/lm/providers/local-runtime.js";
import type { LM, LMRequest, LMResponse, LMStreamChunk } from "../../src/lm/types.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Predict } from "../../src/modules/predict.js";
import { context } from "../../src/runtime/settings.js";
import { Signature } from "../../src/signature/signature.js";

const lm = local();
after(() => unloadLocalModels());

/** Counts the requests an LM serves and keeps their completions. */
class Counting implements LM {
  readonly specificationVersion = "v1" as const;
  readonly provider = "counting";
  readonly model: string;
  readonly requests: LMRequest[] = [];
  readonly outputs: string[] = [];
  constructor(private readonly inner: LM) {
    this.model = inner.model;
  }
  async generate(request: LMRequest): Promise<LMResponse> {
    this.requests.push(request);
    const response = await this.inner.generate(request);
    this.outputs.push(...response.outputs);
    return response;
  }
  stream(request: LMRequest): AsyncIterable<LMStreamChunk> {
    return this.inner.stream(request);
  }
}

describe("ChatAdapter layout grammar on the real model [slow]", () => {
  test("llama.cpp compiles the grammar of every field type we model [slow]", async () => {
    const runtime = await localRuntime({
      modelPath: lm.modelPath,
      contextSize: 4096,
      threads: undefined,
      maxConcurrency: 4,
    });
    const sig = Signature.parse(
      "q -> reasoning, n: int, ok: bool, label: Literal['a', \"b's\", 3], names: list[str], ids: list[int], x: float, maybe: Optional[int], kind: list[Literal['x', 'y']], d: dict[str, int], answer",
    );
    const g = chatGrammar(new ChatAdapter().format(sig, [], { q: "x" }));
    assert.ok(g);
    await runtime.gbnfGrammar(g.gbnf);
  });

  test("typed outputs parse on the first call, without the JSONAdapter re-run or echoes [slow]", async () => {
    const counting = new Counting(lm);
    const program = new Predict(
      "text -> count: int, is_question: bool, mood: Literal['happy', 'sad'], names: list[str], reply",
    );
    const out = await context({ lm: counting, cache: false }, () =>
      program.call({ text: "Anna and Ben are happy today. Are you coming to the party?" }),
    );
    assert.equal(counting.requests.length, 1, `one LM call; completions: ${JSON.stringify(counting.outputs)}`);
    assert.equal(counting.requests[0]!.responseFormat, undefined, "served by ChatAdapter, not the JSON fallback");
    assert.equal(typeof out.count, "number");
    assert.ok(Number.isInteger(out.count));
    assert.equal(typeof out.is_question, "boolean");
    assert.ok(out.mood === "happy" || out.mood === "sad", String(out.mood));
    assert.ok(Array.isArray(out.names) && out.names.every((n: unknown) => typeof n === "string"));
    assert.equal(typeof out.reply, "string");
    assert.doesNotMatch(String(out.reply), /^\s*\{\w+\}\s*$/);
    assert.match(counting.outputs[0]!, /^\[\[ ## count ## \]\]\n[\s\S]*\n\n?\[\[ ## completed ## \]\]$/);
  });

  test("a one-word answer ends right after its value: no whitespace runs, no code fences [slow]", async () => {
    const counting = new Counting(lm);
    const out = await context({ lm: counting, cache: false }, () =>
      new Predict("question -> answer").call({ question: "What is the capital of Japan?" }),
    );
    // Qwen2.5-Coder-1.5B once wrote "Tokyo" and then "\n   " or "\n```" up to the text bound.
    assert.match(counting.outputs[0]!, /^\[\[ ## answer ## \]\]\n[^\n]+\n\n?\[\[ ## completed ## \]\]$/);
    assert.match(String(out.answer), /Tokyo/);
  });

  test("ChainOfThought finishes with no token cap given, reasoning and answer both written [slow]", async () => {
    const counting = new Counting(lm);
    const out = await context({ lm: counting, cache: false }, () =>
      new ChainOfThought("question -> answer").call({
        question: "Explain in great detail, step by step, the whole history of the Roman Empire.",
      }),
    );
    assert.equal(counting.requests.length, 1);
    const response = counting.outputs[0]!;
    assert.ok(response.endsWith("[[ ## completed ## ]]"), response.slice(-200));
    assert.ok(String(out.reasoning).length > 0 && String(out.reasoning).length <= 900);
    assert.ok(String(out.answer).length > 0);
  });

  test("a reply generated in segments has the whole-grammar layout and parses the same way [slow]", async () => {
    const sig = Signature.parse("question -> reasoning, count: int, answer");
    const messages = new ChatAdapter().format(sig, [], { question: "How many legs does a spider have?" });
    const segmented = await lm.generate({ messages });
    const whole = await lm.generate({ messages, providerOptions: { segmentedLayout: false } });
    const layout =
      /^\[\[ ## reasoning ## \]\]\n[^[]+\n\n?\[\[ ## count ## \]\]\n\d+\n\n?\[\[ ## answer ## \]\]\n[^[]+\n\n?\[\[ ## completed ## \]\]$/;
    for (const r of [segmented, whole]) assert.match(r.outputs[0]!, layout);
    const parsed = [segmented, whole].map((r) => new ChatAdapter().parse(sig, r.outputs[0]!));
    assert.equal(parsed[0]!.count, 8, segmented.outputs[0]);
    assert.equal(parsed[1]!.count, 8, whole.outputs[0]);
    // Appended header tokens count as reply tokens, so usage describes the same text either way.
    assert.ok(segmented.usage!.completionTokens > 10, String(segmented.usage!.completionTokens));
  });

  test("a stop string inside a fixed header still stops a ChatAdapter reply [slow]", async () => {
    const messages = new ChatAdapter().format(Signature.parse("question -> answer"), [], {
      question: "What is the capital of Italy?",
    });
    const r = await lm.generate({ messages, stop: ["## completed"] });
    // The header the provider would append holds the stop string: the reply ends before it.
    assert.doesNotMatch(r.outputs[0]!, /completed/, r.outputs[0]);
    assert.match(r.outputs[0]!, /^\[\[ ## answer ## \]\]\nRome/);
  });

  test("streaming a ChatAdapter request yields the pre-filled header first [slow]", async () => {
    const request = {
      messages: new ChatAdapter().format(Signature.parse("question -> answer: int"), [], {
        question: "What is 2 + 2?",
      }),
    };
    let text = "";
    for await (const chunk of lm.stream(request)) text += chunk.delta;
    assert.match(text, /^\[\[ ## answer ## \]\]\n-?\d+\n\n?\[\[ ## completed ## \]\]$/);
  });
});
