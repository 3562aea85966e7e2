/**
 * The root entry point: an explicit list of public names (no internals leaking through
 * `export *`), names that do not clash, and one `shutdown()` that closes what DSPex opened.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as dspex from "../src/index.js";
import { configurePool, sharedPool } from "../src/bridge/shared-pools.js";
import { defaultCache } from "../src/runtime/default-cache.js";

describe("root exports", () => {
  it("leave the internals to their subpaths", () => {
    for (const internal of [
      "PARAMETER",
      "isParameter",
      "resetSettings",
      "findDeno",
      "preparePythonModules",
      "DSPY_SAVE_METADATA",
      "CallHistory",
    ]) {
      assert.equal(internal in dspex, false, `${internal} is exported from the root`);
    }
  });

  it("have one History (the conversation), LMHistory for the call log, one inspectHistory, and shutdown", () => {
    assert.equal(typeof dspex.History, "function");
    assert.equal(typeof dspex.LMHistory, "function");
    assert.notEqual(dspex.History as unknown, dspex.LMHistory as unknown);
    assert.ok(new dspex.History([{ question: "q" }]).messages.length === 1);
    assert.equal(new dspex.LMHistory(5).cap, 5);
    assert.equal(typeof dspex.inspectHistory, "function");
    assert.equal(typeof dspex.shutdown, "function");
    for (const name of ["Predict", "ChainOfThought", "Module", "Prediction", "Signature", "configure", "evaluate"]) {
      assert.ok(name in dspex, `${name} is missing from the root`);
    }
  });
});

describe("shutdown()", () => {
  it("closes the shared Python pools and the default cache; everything starts again on next use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dspex-shutdown-"));
    const previous = process.env.DSPEX_CACHE_DIR;
    process.env.DSPEX_CACHE_DIR = dir;
    try {
      configurePool("modules", { size: 1 });
      const pool = await sharedPool("modules");
      const cache = defaultCache();
      assert.equal(pool.closed, false);
      await dspex.shutdown();
      assert.equal(pool.closed, true);
      assert.notEqual(defaultCache(), cache, "a new default cache after shutdown");
      // A second shutdown is harmless, and a pool can be had again.
      await dspex.shutdown();
      const again = await sharedPool("modules");
      assert.notEqual(again, pool);
      await dspex.shutdown();
      assert.equal(again.closed, true);
    } finally {
      if (previous === undefined) delete process.env.DSPEX_CACHE_DIR;
      else process.env.DSPEX_CACHE_DIR = previous;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
