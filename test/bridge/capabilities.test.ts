import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CAPABILITIES, OPERATIONS, poolFor, pythonOperation } from "../../src/bridge/capabilities.js";
import { presetNames } from "../../src/bridge/presets.js";
import { ConfigurationError } from "../../src/errors.js";

const SRC = join(import.meta.dirname, "..", "..", "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

describe("the capability table chooses the pool", () => {
  it("names a preset pool for every Python implementation", () => {
    for (const op of OPERATIONS) {
      const python = CAPABILITIES.get(op)?.python;
      if (!python) {
        assert.throws(() => poolFor(op), ConfigurationError);
        continue;
      }
      assert.ok(presetNames.includes(poolFor(op)), `${op}: ${poolFor(op)} is not a preset`);
    }
    assert.equal(poolFor("react"), "modules");
    assert.equal(poolFor("miproV2"), "optimizers");
    assert.equal(poolFor("retriever.embeddings"), "retrievers");
  });

  it("finds an optimizer's operation by DSPy's class name", () => {
    assert.equal(pythonOperation("dspy.MIPROv2"), "miproV2");
    assert.equal(pythonOperation("dspy.BootstrapFewShotWithRandomSearch"), "bootstrapFewShotWithRandomSearch");
    assert.equal(pythonOperation("dspy.NoSuchThing"), undefined);
  });

  it("is the only place a pool is named: no call site passes a pool name to sharedPool", () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/sharedPool\(\s*["'`]/g)) offenders.push(`${file}:${m.index}`);
    }
    assert.deepEqual(offenders, []);
  });
});
