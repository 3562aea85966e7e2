import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ChatAdapter, History, JSONAdapter, XMLAdapter } from "../../src/adapters/index.js";
import type { Message } from "../../src/lm/types.js";
import { Audio, File, Image } from "../../src/media/index.js";
import { Signature } from "../../src/signature/index.js";

type FormatCase = {
  kind: "format";
  name: string;
  spec: string;
  instructions?: string;
  demos?: Record<string, unknown>[];
  inputs: Record<string, unknown>;
  messages: Record<"chat" | "json" | "xml", Message[]>;
};
type ConstructCase = {
  kind: "construct";
  type: "Image" | "Audio" | "File";
  file?: string;
  bytes?: string;
  uri?: string;
  value: Record<string, string | null>;
};
type StrCase = { kind: "str"; value: Record<string, unknown>; text: string };
type Case = FormatCase | ConstructCase | StrCase;

const fixture = JSON.parse(readFileSync(new URL("../fixtures/multimodal.json", import.meta.url), "utf8")) as {
  dspy: string;
  cases: Case[];
};
const adapters = { chat: new ChatAdapter(), json: new JSONAdapter(), xml: new XMLAdapter() };

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1) {
      if (typeof obj.__image__ === "string") return new Image(obj.__image__);
      if (obj.__audio__) {
        const a = obj.__audio__ as { data: string; audio_format: string };
        return new Audio({ data: a.data, audioFormat: a.audio_format });
      }
      if (obj.__file__) {
        const f = obj.__file__ as { file_data?: string; file_id?: string; filename?: string };
        return new File({
          ...(f.file_data === undefined ? {} : { fileData: f.file_data }),
          ...(f.file_id === undefined ? {} : { fileId: f.file_id }),
          ...(f.filename === undefined ? {} : { filename: f.filename }),
        });
      }
      if (Array.isArray(obj.__history__)) {
        return new History(obj.__history__.map((m) => decode(m) as Record<string, unknown>));
      }
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

const of = <K extends Case["kind"]>(kind: K) =>
  fixture.cases.filter((c): c is Extract<Case, { kind: K }> => c.kind === kind);

describe(`custom types in prompts against DSPy ${fixture.dspy} golden fixtures`, () => {
  it("covers the cases the issue names", () => {
    const names = of("format").map((c) => c.name);
    for (const n of ["one image", "list of images", "audio", "file with data", "demos with images"]) {
      assert.ok(names.includes(n), n);
    }
  });
  for (const c of of("format")) {
    for (const name of ["chat", "json", "xml"] as const) {
      it(`${name}: ${c.name}`, () => {
        const sig = Signature.parse(c.spec, c.instructions);
        const demos = (c.demos ?? []).map((d) => decode(d) as Record<string, unknown>);
        const messages = adapters[name].format(sig, demos, decode(c.inputs) as Record<string, unknown>);
        assert.deepStrictEqual(JSON.parse(JSON.stringify(messages)), c.messages[name]);
      });
    }
  }
});

describe("Image/Audio/File constructors against DSPy", () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  for (const c of of("construct")) {
    it(`${c.type} from ${c.file ?? JSON.stringify(c.uri)}`, async () => {
      let value: Image | Audio | File;
      if (c.file !== undefined) {
        dir ??= await mkdtemp(join(tmpdir(), "dspex-media-"));
        const path = join(dir, c.file);
        await writeFile(path, Buffer.from(c.bytes!, "base64"));
        value = await { Image, Audio, File }[c.type].fromPath(path);
      } else {
        value = new { Image, Audio, File }[c.type](c.uri!);
      }
      assert.deepStrictEqual(value.toDict(), c.value);
    });
  }
  for (const c of of("str")) {
    it(`str(${Object.keys(c.value)[0]}) is DSPy's marker text`, () => {
      assert.equal(String(decode(c.value)), c.text);
    });
  }
});
