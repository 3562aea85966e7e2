/**
 * The sequence pool of the embedded model's context, on the real model: a request takes the free
 * sequence that already holds the longest prefix of its prompt, so that the completion evaluates
 * only the rest; and requests are evaluated one at a time, because node-llama-cpp 3.21.1 races
 * when it samples several sequences of one batch (see LocalRuntime). [slow]: it evaluates a few
 * hundred tokens.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { local } from "../../src/lm/providers/local.js";
import { defaultModelPath } from "../../src/lm/providers/local-model.js";
import { localRuntime, unloadLocalModels } from "../../src/lm/providers/local-runtime.js";

after(() => unloadLocalModels());

/** A 3-sequence runtime on the real model, and its tokenizer. */
async function smallRuntime() {
  const runtime = await localRuntime({
    modelPath: defaultModelPath(),
    contextSize: 512,
    threads: undefined,
    maxConcurrency: 3,
  });
  return { runtime, tokenize: (text: string) => runtime.model.tokenize(text, false) };
}

describe("local runtime sequence pool [slow]", () => {
  test("a prompt goes to the sequence whose cached tokens share its longest prefix [slow]", async () => {
    const { runtime, tokenize } = await smallRuntime();
    const a = tokenize("Signature A: given the fields `question`, produce the fields `answer`. Question one?");
    const b = tokenize("Other B: given the fields `text`, produce the fields `label`. Some text.");
    const seqA = await runtime.acquire(undefined, a);
    await seqA.evaluateWithoutGeneratingNewTokens(a);
    runtime.release(seqA);
    // No sequence holds any of B: B overwrites the coldest (an empty one), not A's prefix.
    const seqB = await runtime.acquire(undefined, b);
    assert.notEqual(seqB, seqA);
    await seqB.evaluateWithoutGeneratingNewTokens(b);
    runtime.release(seqB);
    // B was released last, and one sequence is still empty: only the prefix decides.
    const nextA = tokenize("Signature A: given the fields `question`, produce the fields `answer`. Question two?");
    const chosen = await runtime.acquire(undefined, nextA);
    assert.equal(chosen, seqA);
    assert.ok(chosen.compareContextTokens(nextA).firstDifferentIndex > 10);
    runtime.release(chosen);
    // Without tokens, the most recently released free sequence (A) comes first.
    const plain = await runtime.acquire();
    assert.equal(plain, seqA);
    runtime.release(plain);
  });

  test("one request at a time: the next waits for a release, then takes the sequence holding its prefix [slow]", async () => {
    const { runtime, tokenize } = await smallRuntime();
    const a = tokenize("Alpha: the first prompt of this test, with a prefix of its own.");
    const b = tokenize("Bravo: the second prompt of this test, with another prefix.");
    const seqA = await runtime.acquire(undefined, a);
    await seqA.evaluateWithoutGeneratingNewTokens(a);
    runtime.release(seqA);
    const seqB = await runtime.acquire(undefined, b);
    await seqB.evaluateWithoutGeneratingNewTokens(b);
    // Two free sequences, yet a request waits while B is out: one batch, one sequence.
    let granted: unknown;
    const waiting = runtime.acquire(undefined, a).then((s) => (granted = s));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(granted, undefined, "a second sequence was handed out while one was evaluating");
    runtime.release(seqB);
    // Chosen when its turn came: the sequence that holds A's prompt.
    assert.equal(await waiting, seqA);
    runtime.release(seqA);
  });

  test("concurrent greedy completions are the same as one at a time [slow]", async () => {
    // Long plain-text answers: many decoding steps at which 3.21.1's samplers could race. Before
    // the fix, concurrency 4 gave other answers in 2 of 4 rounds ("Banana of Orange": a sequence
    // took another's next token). One llama.cpp thread: the race does not depend on it (seen at
    // 1 and 2), and 1 is the faster on a test host that runs two files at once.
    const lm = local({ contextSize: 512, maxConcurrency: 4, chatGrammar: false, threads: 1 });
    const asks = [
      "List ten fruits, comma separated.",
      "Count from one to twenty in words.",
      "Name the planets of the solar system in order.",
      "List the days of the week.",
    ];
    const ask = async (content: string) =>
      (await lm.generate({ messages: [{ role: "user", content }], maxTokens: 24, temperature: 0 })).outputs[0];
    const oneByOne = async () => {
      const out: (string | undefined)[] = [];
      for (const q of asks) out.push(await ask(q));
      return out;
    };
    // A first pass fills each sequence with its prompt, so that the baseline and the concurrent
    // rounds start from the same cached state (a cached prefix changes which tokens are evaluated
    // in which batch, and with it the last bits of the logits).
    await oneByOne();
    const one = await oneByOne();
    for (let round = 0; round < 2; round++) {
      const four = await Promise.all(asks.map(ask));
      assert.deepEqual(four, one, `round ${round}: concurrency 4 answered differently from concurrency 1`);
    }
  });
});
