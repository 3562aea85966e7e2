/**
 * The embedded local LM against the real model `npm run setup` installs (SmolLM2-135M). Short
 * maxTokens keep the whole file to seconds of generation on two cores. Tests that run the model
 * are marked [slow] (npm run test:fast leaves them out).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { LMAbortedError, LMContextWindowError } from "../../src/lm/errors.js";
import { local, toChatHistory } from "../../src/lm/providers/local.js";
import { toGrammarSchema } from "../../src/lm/providers/local-grammar.js";
import {
  DEFAULT_MODEL_FILE,
  DEFAULT_MODEL_PACKAGE,
  defaultModelPath,
  LocalModelMissingError,
} from "../../src/lm/providers/local-model.js";
import { unloadLocalModels } from "../../src/lm/providers/local-runtime.js";
import type { LMRequest, LMStreamChunk } from "../../src/lm/types.js";
import { DEFAULT_LM } from "../../src/models.js";

const root = join(import.meta.dirname, "..", "..");
const lm = local();

after(() => unloadLocalModels());

/** The shape DSPy's structured-output adapter sends: pydantic titles, Optional as anyOf. */
const answerSchema = {
  additionalProperties: false,
  properties: {
    answer: { title: "Answer", type: "string" },
    confidence: { anyOf: [{ type: "number" }, { type: "null" }], title: "Confidence" },
    sources: { items: { type: "string" }, title: "Sources", type: "array" },
  },
  required: ["answer", "confidence", "sources"],
  title: "DSPyProgramOutputs",
  type: "object",
};

const ask = (content: string, extra: Partial<LMRequest> = {}): LMRequest => ({
  messages: [
    { role: "system", content: "You are a helpful assistant. Answer briefly." },
    { role: "user", content },
  ],
  maxTokens: 24,
  ...extra,
});

async function collect(stream: AsyncIterable<LMStreamChunk>): Promise<LMStreamChunk[]> {
  const out: LMStreamChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe("local provider without a model", () => {
  test("set-up and the resolver share one model table: the GGUF set-up extracts is the one loaded", () => {
    const whole = DEFAULT_LM.assembled;
    const gguf =
      whole?.file === DEFAULT_MODEL_FILE ? whole : DEFAULT_LM.files.find((f) => f.file === DEFAULT_MODEL_FILE);
    assert.ok(gguf?.sha256, "the default GGUF is in the set-up table with its sha256");
    const first = whole !== undefined ? whole.parts[0]! : (gguf as { package: unknown });
    assert.deepEqual(first.package, DEFAULT_MODEL_PACKAGE);
    // A split model's parts are numbered in order and its licence ships in the package.
    if (whole !== undefined) {
      assert.ok(whole.parts.every((p, i) => p.member.includes(`part${String(i + 1).padStart(2, "0")}`)));
      assert.ok(existsSync(join(root, whole.licence ?? "missing")), "licence file shipped");
    }
  });

  test("the default model lives in the DSPex home, whatever the current directory; DSPEX_MODEL overrides it", () => {
    assert.equal(defaultModelPath({ DSPEX_MODEL: "/tmp/some/model.gguf" }), "/tmp/some/model.gguf");
    assert.equal(
      defaultModelPath({ DSPEX_HOME: "/opt/dspex-home" }),
      join("/opt/dspex-home", "models", DEFAULT_MODEL_FILE),
    );
    assert.equal(defaultModelPath({ XDG_DATA_HOME: "/xdg" }), join("/xdg", "dspex", "models", DEFAULT_MODEL_FILE));
  });

  test("a missing model file is a typed error with the fix", async () => {
    const missing = local({ modelPath: "/nonexistent/model.gguf" });
    assert.equal(missing.model, "model.gguf");
    assert.equal(missing.provider, "local");
    await assert.rejects(missing.generate(ask("hi")), (e: unknown) => {
      assert.ok(e instanceof LocalModelMissingError);
      assert.match(e.message, /\/nonexistent\/model\.gguf/);
      assert.match(e.fix ?? "", /npx dspex setup/);
      assert.match(e.fix ?? "", /DSPEX_MODEL/);
      return true;
    });
    await assert.rejects(collect(missing.stream(ask("hi"))), LocalModelMissingError);
  });

  test("messages map to the chat history, ending on an open model turn", () => {
    const history = toChatHistory([
      { role: "system", content: "s" },
      { role: "user", content: "u" },
      { role: "assistant", content: "a" },
      { role: "user", content: "u2" },
    ]);
    assert.deepEqual(history, [
      { type: "system", text: "s" },
      { type: "user", text: "u" },
      { type: "model", response: ["a"] },
      { type: "user", text: "u2" },
      { type: "model", response: [] },
    ]);
    // A trailing assistant message is a prefix the model continues.
    assert.deepEqual(toChatHistory([{ role: "assistant", content: "x" }]), [{ type: "model", response: ["x"] }]);
  });

  test("pydantic schemas convert to the grammar subset", () => {
    const converted = toGrammarSchema({
      ...answerSchema,
      $defs: { Item: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } },
      properties: {
        ...answerSchema.properties,
        item: { $ref: "#/$defs/Item" },
        when: { type: "string", format: "uri" },
      },
    });
    assert.deepEqual(converted, {
      type: "object",
      properties: {
        answer: { type: "string" },
        confidence: { oneOf: [{ type: "number" }, { type: "null" }] },
        sources: { type: "array", items: { type: "string" } },
        item: { $ref: "#/$defs/Item" },
        when: { type: "string" },
      },
      required: ["answer", "confidence", "sources"],
      additionalProperties: false,
      $defs: {
        Item: { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false },
      },
    });
  });
});

describe("local provider with the real model [slow]", () => {
  test("a JSON-schema response format yields JSON with the required keys [slow]", async () => {
    const res = await lm.generate(
      ask("What is the capital of France? Give your answer, a confidence and sources.", {
        maxTokens: 60,
        responseFormat: { type: "json_schema", name: "DSPyProgramOutputs", schema: answerSchema, strict: true },
      }),
    );
    assert.equal(res.outputs.length, 1);
    assert.equal(res.model, DEFAULT_MODEL_FILE);
    assert.equal(res.cached, false);
    const text = res.outputs[0]!;
    // 60 tokens may cut the JSON short; only a completed answer must parse.
    if (res.finishReasons?.[0] === "stop") {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      for (const key of answerSchema.required) assert.ok(key in parsed, `missing ${key} in ${text}`);
      assert.equal(typeof parsed.answer, "string");
      assert.ok(parsed.confidence === null || typeof parsed.confidence === "number");
      assert.ok(Array.isArray(parsed.sources));
    } else {
      assert.match(text, /^\{\s*"answer"\s*:/);
    }
    assert.ok(res.usage.promptTokens > 10);
    assert.ok(res.usage.completionTokens > 0);
    assert.equal(res.usage.totalTokens, res.usage.promptTokens + res.usage.completionTokens);
  });

  test("a small schema completes and parses [slow]", async () => {
    const schema = { type: "object", properties: { city: { type: "string", maxLength: 20 } }, required: ["city"] };
    const res = await lm.generate(
      ask("Which city is the capital of Italy?", {
        maxTokens: 40,
        responseFormat: { type: "json_schema", name: "C", schema },
      }),
    );
    const parsed = JSON.parse(res.outputs[0]!) as { city: unknown };
    assert.equal(typeof parsed.city, "string");
    assert.equal(res.finishReasons?.[0], "stop");
  });

  test("json_object mode yields a JSON object [slow]", async () => {
    const res = await lm.generate(
      ask("Reply with a JSON object describing a cat.", { maxTokens: 40, responseFormat: { type: "json_object" } }),
    );
    const text = res.outputs[0]!;
    if (res.finishReasons?.[0] === "stop") assert.equal(typeof JSON.parse(text), "object");
    else assert.match(text, /^\{/);
  });

  test("streaming yields text chunks, then finish and usage [slow]", async () => {
    const chunks = await collect(lm.stream(ask("Count from one to ten.")));
    const text = chunks.filter((c) => c.delta !== "");
    assert.ok(text.length >= 2, `expected several chunks, got ${text.length}`);
    assert.ok(text.every((c) => c.index === 0));
    assert.ok(chunks.some((c) => c.finishReason === "length" || c.finishReason === "stop"));
    const usage = chunks.at(-1)?.usage;
    assert.ok(usage !== undefined && usage.completionTokens > 0 && usage.promptTokens > 0);
  });

  test("n > 1 gives n completions and counts all their tokens [slow]", async () => {
    const res = await lm.generate(ask("Say a word.", { n: 2, maxTokens: 8 }));
    assert.equal(res.outputs.length, 2);
    assert.equal(res.finishReasons?.length, 2);
    assert.ok(res.usage.completionTokens >= 2);
  });

  test("stop strings end the completion before the stop text [slow]", async () => {
    const res = await lm.generate(
      ask("List the numbers 1, 2, 3, 4, 5 separated by commas.", { maxTokens: 30, stop: ["3"] }),
    );
    assert.ok(!res.outputs[0]!.includes("3"), res.outputs[0]);
  });

  test("concurrent requests all finish, more than the sequences at once [slow]", async () => {
    const results = await Promise.all([
      lm.generate(ask("Name a color.", { maxTokens: 12 })),
      lm.generate(ask("Name an animal.", { maxTokens: 12 })),
      lm.generate(ask("Name a fruit.", { maxTokens: 12 })),
    ]);
    for (const r of results) {
      assert.equal(r.outputs.length, 1);
      assert.ok(r.usage.completionTokens > 0);
    }
  });

  test("an abort stops generation with LMAbortedError, and the LM keeps working [slow]", async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const c of lm.stream(
        ask("Write a long story about the sea.", { maxTokens: 400, signal: controller.signal }),
      )) {
        if (c.delta !== "") seen.push(c.delta);
        if (seen.length === 3) controller.abort();
      }
    }, LMAbortedError);
    assert.ok(seen.length >= 3 && seen.length < 400);
    await assert.rejects(lm.generate(ask("hi", { signal: AbortSignal.abort() })), LMAbortedError);
    const after = await lm.generate(ask("Say hello.", { maxTokens: 6 }));
    assert.ok(after.usage.completionTokens > 0);
  });

  test("a prompt larger than the context is LMContextWindowError [slow]", async () => {
    const small = local({ contextSize: 256, maxConcurrency: 1 });
    await assert.rejects(small.generate(ask("word ".repeat(400))), LMContextWindowError);
  });

  test("a process that used the model exits on its own [slow]", () => {
    const script = [
      `import { local } from ${JSON.stringify(join(root, "src", "lm", "providers", "local.ts"))};`,
      `const r = await local().generate({ messages: [{ role: "user", content: "hi" }], maxTokens: 4 });`,
      "console.log(r.outputs.length);",
    ].join("\n");
    // A file, not `-e`: node-llama-cpp tests its binary in a child that inherits our execArgv.
    const dir = mkdtempSync(join(tmpdir(), "dspex-local-exit-"));
    const file = join(dir, "exit.mts");
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, ["--import", "tsx", file], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000,
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(child.signal, null, `child hung and was killed; stderr: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "1");
  });
});

describe("grammar string cap", () => {
  test("caps unbounded strings and keeps explicit bounds", async () => {
    const { toGrammarSchema } = await import("../../src/lm/providers/local-grammar.js");
    const schema = {
      type: "object",
      properties: {
        a: { type: "string" },
        b: { type: "string", maxLength: 5 },
        c: { type: "array", items: { type: "string" } },
      },
      required: ["a", "b", "c"],
    };
    const capped = toGrammarSchema(schema, { maxStringLength: 40 }) as unknown as {
      properties: Record<string, { maxLength?: number; items?: { maxLength?: number } }>;
    };
    assert.equal(capped.properties.a!.maxLength, 40);
    assert.equal(capped.properties.b!.maxLength, 5);
    assert.equal(capped.properties.c!.items!.maxLength, 40);
    const free = toGrammarSchema(schema) as unknown as { properties: Record<string, { maxLength?: number }> };
    assert.equal(free.properties.a!.maxLength, undefined);
  });
});
