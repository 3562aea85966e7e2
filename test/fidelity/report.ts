/**
 * Prints the fuzz harness's match rate by area and the first mismatches of each:
 * `npx tsx test/fidelity/report.ts [bucket-prefix] [--all]`.
 */
import { readFileSync } from "node:fs";
import { type FuzzCase, type Outcome, replay } from "./replay.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/fuzz.json", import.meta.url), "utf8")) as {
  cases: FuzzCase[];
};
const args = process.argv.slice(2);
const prefix = args.find((a) => !a.startsWith("--"));
const show = args.includes("--all") ? Number.POSITIVE_INFINITY : 8;
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
let n = 0;
let ok = 0;
for (const [bucket, t] of [...tally].sort()) {
  n += t.n;
  ok += t.ok;
  console.log(
    `${bucket.padEnd(22)} ${String(t.ok).padStart(5)}/${String(t.n).padEnd(5)} ${((100 * t.ok) / t.n).toFixed(1)}%`,
  );
}
console.log(`${"total".padEnd(22)} ${String(ok).padStart(5)}/${String(n).padEnd(5)} ${((100 * ok) / n).toFixed(1)}%`);
for (const [bucket, t] of [...tally].sort()) {
  if (prefix === undefined || !bucket.startsWith(prefix)) continue;
  for (const [id, o] of t.misses.slice(0, show)) console.log(`\n[${bucket} #${id}] ${o.detail}`);
}
if (args.includes("--floors")) {
  console.log("\nconst MIN_MATCHES: Record<string, number> = {");
  for (const [bucket, t] of [...tally].sort()) console.log(`  ${JSON.stringify(bucket)}: ${t.ok},`);
  console.log("};");
}
