/**
 * Image, Audio and File cross the bridge as dspy.Image, dspy.Audio and dspy.File (real workers,
 * real DSPy), and DSPy's multimodal prompts come back to the Node LM as content parts.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ChatAdapter } from "../../src/adapters/index.js";
import { PythonPool } from "../../src/bridge/index.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { Audio, File, Image } from "../../src/media/index.js";
import { Signature } from "../../src/signature/index.js";
import { collectingLogger } from "./helpers.js";

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("media values across the bridge", () => {
  let pool: PythonPool;
  const lm = new ScriptedLM([{ answer: "a white dot" }]);
  before(async () => {
    pool = await PythonPool.start({ name: "media", size: 1, testTools: true, lm, logger: collectingLogger() });
  });
  after(() => pool.close());

  it("arrive in Python as DSPy's types and come back as ours", async () => {
    const values = [
      new Image(PNG),
      new Audio({ data: "UklGRg==", audioFormat: "wav" }),
      new File({ fileData: "data:application/pdf;base64,JVBERg==", filename: "p.pdf" }),
      File.fromFileId("file-1"),
    ];
    const out = await pool.call<{ types: string[]; values: unknown[] }>("media_echo", { values });
    assert.deepEqual(out.types, [
      "dspy.adapters.types.image.Image",
      "dspy.adapters.types.audio.Audio",
      "dspy.adapters.types.file.File",
      "dspy.adapters.types.file.File",
    ]);
    assert.ok(out.values[0] instanceof Image && out.values[1] instanceof Audio && out.values[2] instanceof File);
    assert.deepEqual(
      out.values.map((v) => (v as Image | Audio | File).toDict()),
      values.map((v) => v.toDict()),
    );
  });

  it("a dspy.Predict in the worker sends the Node LM the same split message our adapter writes", async () => {
    const inputs = { photo: new Image(PNG), question: "What is it?" };
    const result = await pool.call<{ outputs: Record<string, unknown> }>("predict", {
      signature: "photo: dspy.Image, question -> answer",
      inputs,
    });
    assert.deepEqual(result.outputs, { answer: "a white dot" });
    const ours = new ChatAdapter().format(Signature.parse("photo: Image, question -> answer"), [], inputs);
    const sent = lm.requests.at(-1)!.messages;
    assert.ok(Array.isArray(sent.at(-1)?.content), "the user message arrives as parts");
    assert.deepEqual(JSON.parse(JSON.stringify(sent)), JSON.parse(JSON.stringify(ours)));
  });
});
