/**
 * One suite, every backend: each retriever that indexes documents must add, replace, rank,
 * filter (or refuse filters with the typed error) and validate the same way. PostgreSQL runs
 * for real in throwaway clusters (test/helpers/postgres.ts); dense backends use the real local
 * embedding model that set-up installs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/index.js";
import { ConfigurationError } from "../../src/errors.js";
import { FiltersNotSupportedError } from "../../src/retrieve/documents.js";
import { FusionRetriever } from "../../src/retrieve/fusion.js";
import { localEmbedder, unloadLocalEmbedders } from "../../src/retrieve/local-embedder.js";
import { EmbeddingsRetriever } from "../../src/retrieve/native.js";
import { PgFtsRetriever } from "../../src/retrieve/pg-fts.js";
import { PgVectorRetriever } from "../../src/retrieve/pgvector.js";
import { PythonEmbeddingsRetriever } from "../../src/retrieve/python-retrievers.js";
import type { Document, Retriever } from "../../src/retrieve/retriever.js";
import { SqliteFtsRetriever } from "../../src/retrieve/sqlite-fts.js";
import { SqliteVecRetriever } from "../../src/retrieve/sqlite-vec.js";
import { collectingLogger } from "../bridge/helpers.js";
import { type RunningPostgres, startPostgres } from "../helpers/postgres.js";

const DOCS: Document[] = [
  {
    id: "jupiter",
    title: "Jupiter",
    text: "Jupiter is the largest planet, a gas giant with dozens of moons.",
    metadata: { topic: "astronomy", year: 1610, moons: true },
  },
  {
    id: "mars",
    title: "Mars",
    text: "Mars is a small rocky planet covered in red iron oxide dust.",
    metadata: { topic: "astronomy", year: 1659, moons: true },
  },
  {
    id: "venus",
    title: "Venus",
    text: "Venus is the hottest planet, wrapped in thick clouds of sulphuric acid.",
    metadata: { topic: "astronomy", year: 1610, moons: false },
  },
  {
    id: "photosynthesis",
    title: "Photosynthesis",
    text: "Plants turn sunlight, water and carbon dioxide into sugar and release oxygen.",
    metadata: { topic: "biology", year: 1779, moons: false },
  },
  {
    id: "mitochondria",
    title: "Mitochondria",
    text: "Mitochondria produce most of the chemical energy a cell uses, as ATP.",
    metadata: { topic: "biology", year: 1857, moons: false },
  },
  {
    id: "everest",
    title: "Mount Everest",
    text: "Mount Everest in the Himalayas is the highest mountain above sea level.",
    metadata: { topic: "geography", year: 1856, moons: false },
  },
  {
    id: "nile",
    title: "Nile",
    text: "The Nile flows north through Africa into the Mediterranean Sea.",
    metadata: { topic: "geography", year: 1858, moons: false },
  },
  { id: "paris", text: "Paris is the capital of France, on the river Seine." },
];

const embedder = localEmbedder();
let pool: PythonPool;
let pg: RunningPostgres;
let pgVec: RunningPostgres;
let tables = 0;
const table = () => `t${process.pid}_${++tables}`;

type Factory = () => Retriever;
const BACKENDS: Record<string, Factory> = {
  "SQLite FTS5": () => new SqliteFtsRetriever({ k: 3 }),
  "sqlite-vec": () => new SqliteVecRetriever({ embedder, k: 3 }),
  "PostgreSQL full-text": () => new PgFtsRetriever({ connectionString: pg.url, table: table(), k: 3 }),
  pgvector: () => new PgVectorRetriever({ connectionString: pgVec.url, embedder, table: table(), k: 3 }),
  "native Embeddings": () => new EmbeddingsRetriever({ embedder, k: 3 }),
  "DSPy Embeddings (Python)": () => new PythonEmbeddingsRetriever({ embedder, k: 3, pool }),
  "RRF fusion (FTS5 + sqlite-vec)": () =>
    new FusionRetriever({ fts: new SqliteFtsRetriever(), vec: new SqliteVecRetriever({ embedder }) }, { k: 3 }),
};

before(async () => {
  [pool, pg, pgVec] = await Promise.all([
    PythonPool.start({
      name: "backends-test",
      size: 1,
      modules: ["dspex_worker.retrievers"],
      logger: collectingLogger(),
    }),
    startPostgres(),
    startPostgres({ extensions: ["vector"] }),
  ]);
});
after(async () => {
  await Promise.all([pool?.close(), pg?.stop(), pgVec?.stop()]);
  await unloadLocalEmbedders();
});

for (const [name, make] of Object.entries(BACKENDS)) {
  describe(`retriever backend: ${name}`, () => {
    const open: Retriever[] = [];
    const fresh = async (docs: Document[] = DOCS) => {
      const r = make();
      open.push(r);
      await r.add?.(docs);
      return r;
    };
    after(async () => {
      for (const r of open) await r.close?.();
    });

    it("returns nothing from an empty index", async () => {
      assert.deepEqual(await (await fresh([])).retrieve("largest planet"), []);
    });

    it("ranks the matching document first and keeps id, title and metadata", async () => {
      const r = await fresh();
      const hits = await r.retrieve("Which planet is the largest gas giant?");
      assert.ok(hits.length >= 1 && hits.length <= 3, `default k is 3, got ${hits.length}`);
      assert.equal(hits[0]?.id, "jupiter");
      assert.equal(hits[0]?.title, "Jupiter");
      assert.equal(hits[0]?.text, DOCS[0]!.text);
      assert.deepEqual(
        { topic: hits[0]?.metadata?.topic, year: hits[0]?.metadata?.year },
        { topic: "astronomy", year: 1610 },
      );
      for (let i = 1; i < hits.length; i++) assert.ok((hits[i - 1]!.score ?? 0) >= (hits[i]!.score ?? 0), "best first");
      assert.equal((await r.retrieve("highest mountain Himalayas", 1))[0]?.id, "everest");
      assert.equal((await r.retrieve("capital of France Seine", 2))[0]?.id, "paris");
    });

    it("adds more documents later and replaces a document given again by id", async () => {
      const r = await fresh(DOCS.slice(0, 4));
      assert.notEqual((await r.retrieve("Nile river Africa Mediterranean", 1))[0]?.id, "nile");
      await r.add?.(DOCS.slice(4));
      assert.equal((await r.retrieve("Nile river Africa Mediterranean", 1))[0]?.id, "nile");
      await r.add?.([
        { id: "mars", title: "Mars", text: "Mars has the volcano Olympus Mons, the tallest in the Solar System." },
      ]);
      const hits = await r.retrieve("Olympus Mons volcano", 3);
      assert.equal(hits[0]?.id, "mars");
      assert.match(hits[0]!.text, /Olympus Mons/);
      assert.equal(hits.filter((h) => h.id === "mars").length, 1, "the old copy is gone");
    });

    it("applies metadata filters where it supports them, else refuses them with a typed error", async () => {
      const r = await fresh();
      if (r.supportsFilters !== true) {
        await assert.rejects(r.retrieve("planet", 3, { filters: { topic: "biology" } }), FiltersNotSupportedError);
        return;
      }
      const bio = await r.retrieve("largest planet gas giant", 3, { filters: { topic: "biology" } });
      assert.ok(
        bio.length >= 1 || name.includes("FTS") || name.includes("full-text"),
        "dense backends rank every match",
      );
      assert.ok(
        bio.every((h) => h.metadata?.topic === "biology"),
        JSON.stringify(bio.map((h) => h.id)),
      );
      const astro = await r.retrieve("planet", 3, { filters: { topic: ["astronomy", "geography"], year: 1610 } });
      assert.deepEqual(astro.map((h) => h.id).sort(), ["jupiter", "venus"]);
      const noMoons = await r.retrieve("planet", 3, { filters: { moons: false, topic: "astronomy" } });
      assert.deepEqual(
        noMoons.map((h) => h.id),
        ["venus"],
      );
      assert.deepEqual(await r.retrieve("planet", 3, { filters: { topic: "history" } }), []);
    });

    it("rejects bad k, documents and filters with ConfigurationError, changing nothing", async () => {
      const r = await fresh(DOCS.slice(0, 2));
      await assert.rejects(r.retrieve("planet", 0), ConfigurationError);
      await assert.rejects(
        r.add!([
          { id: "ok", text: "fine planet" },
          { id: "", text: "no id" },
        ]),
        ConfigurationError,
      );
      await assert.rejects(
        r.add!([
          { id: "dup", text: "a" },
          { id: "dup", text: "b" },
        ]),
        ConfigurationError,
      );
      await assert.rejects(r.add!([{ id: "m", text: "x", metadata: { "bad key": 1 } }]), ConfigurationError);
      const ids = (await r.retrieve("fine planet rocky largest", 3)).map((h) => h.id);
      assert.ok(!ids.includes("ok"), "a rejected batch writes nothing");
      if (r.supportsFilters) {
        await assert.rejects(r.retrieve("planet", 2, { filters: { "x'); DROP TABLE t; --": 1 } }), ConfigurationError);
        await assert.rejects(r.retrieve("planet", 2, { filters: { topic: [] } }), ConfigurationError);
      }
    });

    it("closes twice without error and refuses use after close", async () => {
      const r = await fresh(DOCS.slice(0, 1));
      await r.close?.();
      await r.close?.();
      await assert.rejects(async () => r.retrieve("planet"), ConfigurationError);
    });
  });
}
