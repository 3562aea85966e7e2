/**
 * recall@k of every retrieval backend of the research pipeline, and of their reciprocal rank
 * fusion, on the shipped labelled queries (examples/data/retrieval-queries.jsonl). PostgreSQL runs
 * in a throwaway cluster (test/helpers/postgres.ts), so this needs the installs .ci/run makes.
 * No LM: retrieval only. `npx tsx bench/retrieval-recall.ts`
 */
import { execFileSync } from "node:child_process";
import { loadJSONL, measureRecall, openBackends } from "../examples/research-pipeline.js";
import { closeSharedPools } from "../src/index.js";
import { unloadLocalEmbedders } from "../src/retrieve/index.js";
import { startPostgres } from "../test/helpers/postgres.js";

const queries = loadJSONL<{ query: string; relevant: string[] }>("retrieval-queries.jsonl");
const pg = await startPostgres({ extensions: ["vector"] });
try {
  const { backends, indexSeconds } = await openBackends({ pgUrl: pg.url });
  console.log(
    `nproc ${execFileSync("nproc").toString().trim()}, load ${execFileSync("cat", ["/proc/loadavg"]).toString().trim()}`,
  );
  console.log(`PostgreSQL: ${pg.install.version}`);
  console.log(
    `index seconds: ${JSON.stringify(Object.fromEntries(Object.entries(indexSeconds).map(([n, s]) => [n, Number(s.toFixed(2))])))}`,
  );
  const ks = [1, 3, 5];
  const rows: Record<string, string[]> = {};
  for (const k of ks) {
    for (const [name, r] of Object.entries(await measureRecall(backends, queries, k))) {
      rows[name] = [...(rows[name] ?? []), `${(100 * r).toFixed(1)}%`];
    }
  }
  console.log(`\nrecall@k on ${queries.length} queries (${ks.map((k) => `@${k}`).join(" / ")})`);
  for (const [name, cells] of Object.entries(rows)) console.log(`  ${name.padEnd(16)} ${cells.join("  ")}`);
  for (const r of Object.values(backends)) await r.close?.();
} finally {
  await closeSharedPools();
  await unloadLocalEmbedders();
  await pg.stop();
}
