// Why sqlite-vec is the embedded vector store: it and LanceDB side by side on the main job's shape
// (N docs x 384 dims, top-10 cosine, with and without a metadata filter), same random vectors and
// queries, recall against exact ranking. LanceDB is not a dependency; run this in a scratch folder:
//   npm i @lancedb/lancedb@0.31.0 apache-arrow@18.1.0 sqlite-vec@0.1.9 better-sqlite3@12.11.1
//   node vector-store-choice.mjs 240; node vector-store-choice.mjs 5000
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
const DIM = 384,
  Q = 200;
const N = Number(process.argv[2] ?? 240);
function rnd(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
const r = rnd(42);
const vec = () => {
  const v = new Float32Array(DIM);
  let n = 0;
  for (let i = 0; i < DIM; i++) {
    v[i] = r();
    n += v[i] ** 2;
  }
  n = Math.sqrt(n);
  for (let i = 0; i < DIM; i++) v[i] /= n;
  return v;
};
const docs = Array.from({ length: N }, (_, i) => ({ id: `d${i}`, topic: `t${i % 8}`, v: vec() }));
const queries = Array.from({ length: Q }, vec);
const p50 = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
const out = {};
// exact truth
const truth = queries.map((q) =>
  docs
    .map((d) => ({ id: d.id, s: d.v.reduce((a, x, i) => a + x * q[i], 0) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, 10)
    .map((x) => x.id),
);
const recall = (got) => got.reduce((a, g, i) => a + g.filter((id) => truth[i].includes(id)).length, 0) / (Q * 10);
{
  let t = performance.now();
  const Database = (await import("better-sqlite3")).default;
  const sv = await import("sqlite-vec");
  const db = new Database(":memory:");
  sv.load(db);
  const load = performance.now() - t;
  db.exec("CREATE TABLE docs(id TEXT PRIMARY KEY, topic TEXT, embedding BLOB)");
  t = performance.now();
  const ins = db.prepare("INSERT INTO docs VALUES (?,?,?)");
  db.transaction(() => {
    for (const d of docs) ins.run(d.id, d.topic, Buffer.from(d.v.buffer));
  })();
  const insert = performance.now() - t;
  const qs = db.prepare("SELECT id FROM docs ORDER BY vec_distance_cosine(embedding, ?) LIMIT 10");
  const qf = db.prepare("SELECT id FROM docs WHERE topic = ? ORDER BY vec_distance_cosine(embedding, ?) LIMIT 10");
  const lat = [],
    latf = [],
    got = [];
  for (const q of queries) {
    const b = Buffer.from(q.buffer);
    let s = performance.now();
    got.push(qs.all(b).map((x) => x.id));
    lat.push(performance.now() - s);
    s = performance.now();
    qf.all("t1", b);
    latf.push(performance.now() - s);
  }
  out.sqliteVec = {
    loadMs: load.toFixed(1),
    insertMs: insert.toFixed(1),
    queryP50Ms: p50(lat).toFixed(3),
    filteredP50Ms: p50(latf).toFixed(3),
    recall10: recall(got),
  };
}
{
  let t = performance.now();
  const lancedb = await import("@lancedb/lancedb");
  const load = performance.now() - t;
  const dir = mkdtempSync(join(tmpdir(), "lance-"));
  const db = await lancedb.connect(dir);
  t = performance.now();
  const table = await db.createTable(
    "docs",
    docs.map((d) => ({ id: d.id, topic: d.topic, vector: Array.from(d.v) })),
  );
  const insert = performance.now() - t;
  const lat = [],
    latf = [],
    got = [];
  for (const q of queries) {
    let s = performance.now();
    got.push((await table.search(Array.from(q)).distanceType("cosine").limit(10).toArray()).map((x) => x.id));
    lat.push(performance.now() - s);
    s = performance.now();
    await table.search(Array.from(q)).distanceType("cosine").where("topic = 't1'").limit(10).toArray();
    latf.push(performance.now() - s);
  }
  out.lancedb = {
    loadMs: load.toFixed(1),
    insertMs: insert.toFixed(1),
    queryP50Ms: p50(lat).toFixed(3),
    filteredP50Ms: p50(latf).toFixed(3),
    recall10: recall(got),
  };
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ N, DIM, Q, ...out }, null, 1));
