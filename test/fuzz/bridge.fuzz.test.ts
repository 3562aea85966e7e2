/**
 * Property-based fuzzing of the bridge: the frame decoder fed random bytes, and JSON-like values
 * (lone surrogates included) sent to a real worker and back. Seeded and bounded for CI.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { encodeFrame, FrameDecoder } from "../../src/bridge/codec.js";
import { BridgeError, ProtocolError, type PythonPool } from "../../src/bridge/index.js";
import type { ToPython } from "../../src/bridge/messages.js";
import { startPlain, workerPids } from "../bridge/helpers.js";
import { jsonLike } from "./arbitraries.js";

/** What a value looks like after MessagePack and Python: 64-bit ints may come back as BigInt. */
function normal(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(normal);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normal(v);
    return out;
  }
  return value;
}

describe("fuzz: the bridge", () => {
  it("the frame decoder turns random bytes into messages or ProtocolError, nothing else", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), fc.boolean(), (chunks, framed) => {
        const decoder = new FrameDecoder(1 << 20);
        try {
          for (const chunk of chunks) {
            // Half the inputs get a plausible length prefix, so bodies reach the MessagePack decoder.
            const bytes = framed ? Buffer.concat([Buffer.from([0, 0, 0, chunk.length]), chunk]) : Buffer.from(chunk);
            decoder.push(bytes);
          }
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { seed: 12_101, numRuns: 5000 },
    );
  });

  it("frames of any JSON-like value decode to that value", () => {
    fc.assert(
      fc.property(jsonLike, (value) => {
        const [m] = new FrameDecoder().push(encodeFrame({ k: "result", id: 1, value } as unknown as ToPython));
        assert.deepEqual(normal((m as unknown as { value: unknown }).value), normal(value));
      }),
      { seed: 12_102, numRuns: 2000 },
    );
  });

  describe("through a real worker", () => {
    let pool: PythonPool;
    before(async () => {
      pool = await startPlain({ name: "fuzz", size: 1, concurrency: 8 });
    });
    after(() => pool.close());

    it("any JSON-like value comes back equal or fails with a typed error; the worker never dies", async () => {
      const [pid] = workerPids(pool);
      const values = fc.sample(jsonLike, { seed: 12_103, numRuns: 400 });
      let typed = 0;
      for (const value of values) {
        try {
          assert.deepEqual(normal(await pool.call("echo", value)), normal(value));
        } catch (err) {
          if (!(err instanceof BridgeError)) throw err;
          typed++;
        }
      }
      assert.deepEqual(workerPids(pool), [pid]);
      assert.equal(typed, 0, "plain JSON-like values need no error at all");
    });
  });
});
