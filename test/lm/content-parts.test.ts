/**
 * LM interface v2: content parts reach each provider's wire in its own shape (against the
 * loopback servers), v1 providers get strings or a typed refusal, and the embedded model
 * refuses media before loading anything.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cacheKey } from "../../src/cache/key.js";
import {
  anthropic,
  contentText,
  fromV1,
  generateWith,
  type LM,
  type LMRequestV1,
  type LMResponse,
  LMUnsupportedContentError,
  type LMV1,
  local,
  type Message,
  openai,
  toAnthropicMessages,
} from "../../src/lm/index.js";
import { toChatHistory } from "../../src/lm/providers/local.js";
import { Audio, File, Image } from "../../src/media/index.js";
import { context, Predict } from "../../src/modules/index.js";
import { type AnthropicLoopback, start as startAnthropic } from "../helpers/loopback-anthropic.js";
import { type Loopback, start as startOpenAI } from "../helpers/loopback-openai.js";

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = `data:application/pdf;base64,${Buffer.from("%PDF-1.4\n%%EOF\n").toString("base64")}`;

const withImage: Message[] = [
  { role: "system", content: "Describe images." },
  {
    role: "user",
    content: [
      { type: "text", text: "What is this?\n" },
      { type: "image_url", image_url: { url: PNG } },
      { type: "text", text: "\nand this?" },
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
    ],
  },
];

describe("openai(): content parts on the chat-completions wire", () => {
  let server: Loopback;
  before(async () => {
    server = await startOpenAI();
  });
  after(() => server.close());
  const lm = () => openai({ baseURL: server.url, apiKey: "sk-test", model: "gpt-test" });

  it("sends parts as they are (image_url, input_audio, file)", async () => {
    server.setScript([{ kind: "completion", outputs: "a dot" }]);
    const audio = Audio.fromBytes(Buffer.from("RIFF"), "wav");
    const file = new File({ fileData: PDF, filename: "p.pdf" });
    const messages: Message[] = [
      ...withImage,
      { role: "user", content: [...audio.format(), ...file.format(), { type: "text", text: "ok?" }] },
    ];
    const res = await lm().generate({ messages });
    assert.deepEqual(res.outputs, ["a dot"]);
    const body = server.requests.at(-1)?.body as { messages: unknown };
    assert.deepEqual(body.messages, JSON.parse(JSON.stringify(messages)));
  });

  it("a Predict with an Image input sends DSPy's split user message, also when streaming", async () => {
    server.setScript([
      { kind: "completion", outputs: "[[ ## answer ## ]]\nwhite\n\n[[ ## completed ## ]]" },
      { kind: "stream", deltas: ["[[ ## answer ## ]]\n", "white", "\n\n[[ ## completed ## ]]"] },
    ]);
    const predict = new Predict("photo: Image, question -> answer");
    const image = new Image(PNG);
    const out = await context({ lm: lm(), cache: false }, () => predict.call({ photo: image, question: "Color?" }));
    assert.equal(out.answer, "white");
    const user = (server.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] }).messages.at(-1);
    assert.deepEqual(user?.content, [
      { type: "text", text: "[[ ## photo ## ]]\n" },
      { type: "image_url", image_url: { url: PNG } },
      {
        type: "text",
        text: "\n\n[[ ## question ## ]]\nColor?\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
      },
    ]);
    const streamed: string[] = [];
    for await (const chunk of lm().stream({ messages: withImage })) streamed.push(chunk.delta);
    assert.equal(streamed.join(""), "[[ ## answer ## ]]\nwhite\n\n[[ ## completed ## ]]");
    const streamBody = server.requests.at(-1)?.body as { stream: boolean; messages: unknown };
    assert.equal(streamBody.stream, true);
    assert.deepEqual(streamBody.messages, JSON.parse(JSON.stringify(withImage)));
  });
});

describe("anthropic(): content parts as image and document blocks", () => {
  let server: AnthropicLoopback;
  before(async () => {
    server = await startAnthropic();
  });
  after(() => server.close());
  const lm = () => anthropic({ baseURL: server.url, apiKey: "sk-ant-test", model: "claude-test" });

  it("maps base64 and URL images, PDFs and text files, and merges same-role turns", async () => {
    server.setScript([{ kind: "message", text: "seen" }]);
    const text = File.fromBytes(Buffer.from("hello ü"), { mimeType: "text/plain", filename: "n.txt" });
    const res = await lm().generate({
      messages: [
        ...withImage,
        { role: "user", content: [...new File({ fileData: PDF, filename: "paper.pdf" }).format(), ...text.format()] },
        { role: "assistant", content: "ok" },
        { role: "user", content: [...File.fromFileId("file-123").format()] },
      ],
    });
    assert.deepEqual(res.outputs, ["seen"]);
    const body = server.requests.at(-1)?.body as { system: string; messages: unknown };
    assert.equal(body.system, "Describe images.");
    assert.deepEqual(body.messages, [
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?\n" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: PNG.split(",")[1] } },
          { type: "text", text: "\nand this?" },
          { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: PDF.split(",")[1] },
            title: "paper.pdf",
          },
          { type: "document", source: { type: "text", media_type: "text/plain", data: "hello ü" }, title: "n.txt" },
        ],
      },
      { role: "assistant", content: "ok" },
      { role: "user", content: [{ type: "document", source: { type: "file", file_id: "file-123" } }] },
    ]);
  });

  it("refuses audio and media in system messages with a typed error, sending nothing", async () => {
    const before = server.requests.length;
    const audio = Audio.fromBytes(Buffer.from("RIFF"));
    await assert.rejects(
      lm().generate({ messages: [{ role: "user", content: [...audio.format()] }] }),
      (e: unknown) => e instanceof LMUnsupportedContentError && e.partType === "input_audio" && e.fix !== undefined,
    );
    assert.throws(
      () => toAnthropicMessages([{ role: "system", content: [...new Image(PNG).format()] }]),
      (e: unknown) => e instanceof LMUnsupportedContentError && e.partType === "image_url",
    );
    const bmp = new Image("data:image/bmp;base64,Qk0=");
    await assert.rejects(lm().generate({ messages: [{ role: "user", content: [...bmp.format()] }] }), /image\/bmp/);
    assert.equal(server.requests.length, before);
  });
});

describe("local(): the embedded text-only model refuses media", () => {
  it("throws LMUnsupportedContentError before loading a model", async () => {
    // The path does not exist: reaching the model loader would throw LocalModelMissingError instead.
    const lm = local({ modelPath: "/nonexistent/model.gguf" });
    await assert.rejects(lm.generate({ messages: withImage }), (e: unknown) => {
      return e instanceof LMUnsupportedContentError && e.partType === "image_url" && /message 1/.test(e.message);
    });
    assert.throws(() => toChatHistory(withImage), LMUnsupportedContentError);
    const textOnly = toChatHistory([
      {
        role: "user",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
    ]);
    assert.deepEqual(textOnly[0], { type: "user", text: "ab" });
  });
});

describe("LM interface v1 path", () => {
  const v1 = (): LMV1 & { seen: LMRequestV1[] } => {
    const seen: LMRequestV1[] = [];
    return {
      specificationVersion: "v1",
      provider: "old",
      model: "m",
      seen,
      async generate(request: LMRequestV1): Promise<LMResponse> {
        seen.push(request);
        for (const m of request.messages) assert.equal(typeof m.content, "string");
        return {
          outputs: ["[[ ## answer ## ]]\nfine\n\n[[ ## completed ## ]]"],
          usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
          model: "m",
          cached: false,
        };
      },
      async *stream() {},
    };
  };

  it("joins text-only parts into the string a v1 provider expects", async () => {
    const old = v1();
    await generateWith(old as unknown as LM, {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
        },
      ],
    });
    assert.equal(old.seen[0]?.messages[0]?.content, "ab");
    const wrapped = fromV1(old);
    assert.equal(wrapped.specificationVersion, "v2");
    await wrapped.generate({ messages: [{ role: "user", content: "plain" }] });
    assert.equal(old.seen[1]?.messages[0]?.content, "plain");
  });

  it("refuses media for a v1 provider, through Predict too, without calling it", async () => {
    const old = v1();
    const predict = new Predict("photo: Image -> answer");
    await assert.rejects(
      context({ lm: old as unknown as LM, cache: false }, () => predict.call({ photo: new Image(PNG) })),
      (e: unknown) => e instanceof LMUnsupportedContentError && e.provider === "old" && /v1/.test(e.message),
    );
    await assert.rejects(fromV1(old).generate({ messages: withImage }), LMUnsupportedContentError);
    assert.equal(old.seen.length, 0);
    const text = new Predict("question -> answer");
    const out = await context({ lm: old as unknown as LM, cache: false }, () => text.call({ question: "q" }));
    assert.equal(out.answer, "fine");
  });
});

describe("cache keys with media", () => {
  const ctx = { provider: "openai", model: "m" };
  const request = (image: Image): { messages: Message[] } => ({
    messages: [{ role: "user", content: [{ type: "text", text: "x" }, ...image.format()] }],
  });

  it("equal media give equal keys, other bytes other keys, frozen or not", () => {
    const a = new Image(PNG);
    const b = new Image(PNG);
    const c = new Image(`${PNG.slice(0, -4)}AAAA`);
    assert.equal(cacheKey(request(a), ctx), cacheKey(request(a), ctx));
    assert.equal(cacheKey(request(a), ctx), cacheKey(request(b), ctx));
    assert.notEqual(cacheKey(request(a), ctx), cacheKey(request(c), ctx));
    const loose: Message[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "x" },
          { type: "image_url", image_url: { url: PNG } },
        ],
      },
    ];
    assert.equal(cacheKey({ messages: loose }, ctx), cacheKey(request(a), ctx));
    // A part the caller can still change is read afresh each time.
    (loose[0]!.content as { image_url: { url: string } }[])[1]!.image_url.url = c.url;
    assert.equal(cacheKey({ messages: loose }, ctx), cacheKey(request(c), ctx));
    assert.notEqual(contentText(loose[0]!.content), undefined);
  });
});
