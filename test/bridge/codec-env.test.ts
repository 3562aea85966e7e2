import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { Packr } from "msgpackr";
import { encodeFrame, FrameDecoder } from "../../src/bridge/codec.js";
import { ProtocolError, presetDefaults, presetNames, resolvePython } from "../../src/bridge/index.js";
import { workerBaseEnv } from "../../src/bridge/options.js";
import { Deque } from "../../src/bridge/deque.js";

const packr = new Packr({ useRecords: false });
function frame(value: unknown): Buffer {
  const body = packr.pack(value);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

describe("frames", () => {
  it("decodes frames split at every byte boundary and joined several per chunk", () => {
    const all = Buffer.concat(
      Array.from({ length: 20 }, (_, i) => frame({ k: "result", id: i, value: "v".repeat(i) })),
    );
    for (const size of [1, 3, 7, 64, all.length]) {
      const decoder = new FrameDecoder();
      const ids: number[] = [];
      for (let at = 0; at < all.length; at += size) {
        for (const m of decoder.push(all.subarray(at, at + size))) ids.push((m as { id: number }).id);
      }
      assert.deepEqual(
        ids,
        Array.from({ length: 20 }, (_, i) => i),
      );
    }
  });

  it("encodes what the decoder reads back (undefined becomes nil)", () => {
    const bytes = encodeFrame({ k: "call", id: 9, tool: "echo", args: { a: undefined, b: [1, 2] } });
    const [m] = new FrameDecoder().push(bytes) as unknown as [{ args: unknown }];
    assert.deepEqual(m.args, { a: null, b: [1, 2] });
  });

  it("rejects an oversized length, a malformed body and a message without kind", () => {
    const big = Buffer.alloc(8);
    big.writeUInt32BE(1024 * 1024);
    assert.throws(() => new FrameDecoder(1024).push(big), ProtocolError);
    const bad = Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]);
    assert.throws(() => new FrameDecoder().push(bad), /malformed frame/);
    assert.throws(() => new FrameDecoder().push(frame([1, 2])), /kind/);
  });

  it("refuses to send a frame over the limit", () => {
    assert.throws(() => encodeFrame({ k: "call", id: 1, tool: "echo", args: "x".repeat(2000) }, 1000), ProtocolError);
  });
});

describe("environment and presets", () => {
  it("resolves the interpreter: option, then DSPEX_PYTHON, then the DSPex home's venv", () => {
    assert.equal(resolvePython({ python: "/opt/py", env: { DSPEX_PYTHON: "/x" } }).python, "/opt/py");
    const fromEnv = resolvePython({ env: { DSPEX_PYTHON: "/usr/bin/python3" } });
    assert.equal(fromEnv.source, "DSPEX_PYTHON");
    assert.equal(fromEnv.python, "/usr/bin/python3");
    const venv = resolvePython({ env: { DSPEX_HOME: "/opt/dspex-home" } });
    assert.equal(venv.source, "venv");
    assert.equal(venv.python, "/opt/dspex-home/venv/bin/python");
    assert.ok(existsSync(venv.workerPath));
  });

  it("keeps credentials out of the workers' environment", () => {
    const env = workerBaseEnv({ PATH: "/bin", OPENAI_API_KEY: "k", GITHUB_TOKEN: "t", MY_SECRET: "s", HOME: "/h" });
    assert.deepEqual(Object.keys(env).sort(), ["HOME", "PATH"]);
  });

  it("has the design's four presets, sized for the machine", () => {
    assert.deepEqual(presetNames, ["modules", "optimizers", "retrievers", "multimodal"]);
    const twoCores = presetNames.map((n) => presetDefaults(n, 2).size);
    assert.deepEqual(twoCores, [2, 2, 2, 2]);
    assert.deepEqual(
      presetNames.map((n) => presetDefaults(n, 64).size),
      [8, 2, 4, 2],
    );
  });

  it("a deque keeps FIFO order across growth and unshift", () => {
    const d = new Deque<number>();
    for (let i = 0; i < 100; i++) d.push(i);
    d.unshift(-1);
    assert.equal(d.length, 101);
    assert.deepEqual(d.drain(), [-1, ...Array.from({ length: 100 }, (_, i) => i)]);
  });
});
