/**
 * The differential fuzz harness: every case in test/fixtures/fuzz.json (seeded random cases run
 * through real DSPy by `npm run fixtures`) is replayed on DSPex. Each bucket must keep at least the
 * number of matches recorded in MIN_MATCHES, so a change that moves DSPex away from DSPy fails here;
 * a fix that closes a gap raises the floor in the same commit. `npx tsx test/fidelity/report.ts`
 * prints the rates and the mismatches themselves.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { type FuzzCase, type Outcome, replay } from "./replay.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/fuzz.json", import.meta.url), "utf8")) as {
  dspy: string;
  cases: FuzzCase[];
};

/** Matches per bucket at the last measurement (see docs in /work/notes/fidelity.md for the history). */
const MIN_MATCHES: Record<string, number> = {
  "enum/format-chat": 239,
  "enum/format-json": 239,
  "enum/model/format-chat": 160,
  "enum/model/format-json": 160,
  "enum/model/parse-chat": 81,
  "enum/model/parse-json": 80,
  "enum/parse-chat": 118,
  "enum/parse-json": 121,
  "format/chat": 488,
  "format/json": 488,
  "format/xml": 483,
  "model/format-chat": 297,
  "model/format-json": 297,
  "model/parse-chat": 139,
  "model/parse-json": 161,
  "module/cot": 133,
  "module/predict": 158,
  "parse/chat": 1490,
  "parse/json": 728,
  "parse/xml": 727,
  repair: 590,
  signature: 1500,
  "state/load": 222,
  "state/save": 245,
  "twostep/extract": 200,
  "twostep/format": 197,
  "twostep/outputs": 198,
};

describe(`differential fuzz cases against DSPy ${fixture.dspy}`, async () => {
  const tally = new Map<string, { n: number; ok: number; misses: [number, Outcome][] }>();
  for (const c of fixture.cases) {
    for (const o of await replay(c)) {
      const t = tally.get(o.bucket) ?? { n: 0, ok: 0, misses: [] };
      t.n++;
      if (o.match) t.ok++;
      else t.misses.push([c.id, o]);
      tally.set(o.bucket, t);
    }
  }
  it("has thousands of cases in every area", () => {
    const areas = new Set(fixture.cases.map((c) => c.area));
    assert.deepEqual([...areas].sort(), [
      "enum",
      "format",
      "model",
      "module",
      "parse",
      "repair",
      "signature",
      "state",
      "twostep",
    ]);
    assert.ok(fixture.cases.length >= 5000, `${fixture.cases.length} cases`);
  });
  for (const [bucket, t] of [...tally].sort()) {
    it(`${bucket}: ${t.ok}/${t.n} match DSPy`, () => {
      const floor = MIN_MATCHES[bucket];
      assert.ok(floor !== undefined, `no floor recorded for bucket ${bucket}`);
      const sample = t.misses
        .slice(0, 3)
        .map(([id, o]) => `#${id}: ${o.detail}`)
        .join("\n");
      assert.ok(
        t.ok >= floor,
        `${bucket}: ${t.ok} matches, fewer than the ${floor} recorded. First misses:\n${sample}`,
      );
    });
  }
});
