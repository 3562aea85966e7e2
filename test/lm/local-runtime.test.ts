/**
 * The sequence pool of the embedded model's context, on the real model: a request takes the free
 * sequence that already holds the longest prefix of its prompt, so that LlamaChat evaluates only
 * the rest. [slow]: it evaluates a few dozen prompt tokens.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { defaultModelPath } from "../../src/lm/providers/local-model.js";
import { localRuntime, unloadLocalModels } from "../../src/lm/providers/local-runtime.js";

after(() => unloadLocalModels());

describe("local runtime sequence pool [slow]", () => {
  test("a prompt goes to the sequence whose cached tokens share its longest prefix [slow]", async () => {
    const runtime = await localRuntime({
      modelPath: defaultModelPath(),
      contextSize: 512,
      threads: undefined,
      maxConcurrency: 3,
    });
    const tokenize = (text: string) => runtime.model.tokenize(text, false);
    const a = tokenize("Signature A: given the fields `question`, produce the fields `answer`. Question one?");
    const b = tokenize("Signature B: given the fields `text`, produce the fields `label`. Some text.");
    const seqA = await runtime.acquire();
    const seqB = await runtime.acquire();
    await seqA.evaluateWithoutGeneratingNewTokens(a);
    await seqB.evaluateWithoutGeneratingNewTokens(b);
    runtime.release(seqA);
    runtime.release(seqB);
    // B was released last, and one sequence is still empty: only the prefix decides.
    const nextA = tokenize("Signature A: given the fields `question`, produce the fields `answer`. Question two?");
    const chosen = await runtime.acquire(undefined, nextA);
    assert.equal(chosen, seqA);
    assert.ok(chosen.compareContextTokens(nextA).firstDifferentIndex > 10);
    // Without tokens, the most recently released free sequence (B) comes first.
    const plain = await runtime.acquire();
    assert.equal(plain, seqB);
    runtime.release(chosen);
    runtime.release(plain);
  });
});
