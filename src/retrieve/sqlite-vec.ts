/**
 * Dense retrieval in an embedded vector store: sqlite-vec loaded into better-sqlite3, so vectors,
 * text and metadata sit in one SQLite file (or in memory) with no server. Chosen over LanceDB by
 * measurement (see docs/retrieval.md): same exact top-k, a 172 KB native part against ~156 MB.
 * Ranking is exact cosine distance (vec_distance_cosine) in a plain table, because that keeps
 * arbitrary metadata filters in the same WHERE clause; sqlite-vec's vec0 KNN is a full scan too.
 */
import type Database from "better-sqlite3";
import { onFirstUse } from "../lazy.js";
import { ConfigurationError } from "../errors.js";
import { importOptional } from "../optional.js";
import { checkDocuments, checkK, embeddingText, filterEntries, toPassage } from "./documents.js";
import type { Embedder } from "./embedder.js";
import type { Document, Passage, RetrieveOptions, Retriever, TextEmbedder } from "./retriever.js";
import { checkTable, rowDocument, type StoredRow } from "./sqlite-fts.js";

/** The native addon loads with the first store opened, not with `import("dspex")`. */
const sqlite = onFirstUse<typeof Database>("better-sqlite3");

export interface SqliteVecOptions {
  embedder: TextEmbedder | Embedder;
  /** Database file; default ":memory:". */
  path?: string;
  /** Table name (letters, digits, _); default "vectors". */
  table?: string;
  /** Default number of passages; default 5. */
  k?: number;
}

type Row = StoredRow & { distance: number };

export class SqliteVecRetriever implements Retriever {
  readonly supportsFilters = true;
  readonly k: number;
  readonly table: string;
  readonly #embedder: TextEmbedder;
  // better-sqlite3's type stays out of the public declarations (consumers need not have its @types).
  readonly #db: InstanceType<typeof Database>;
  #ready: Promise<void> | undefined;
  #dimensions: number | undefined;
  #closed = false;

  constructor(options: SqliteVecOptions) {
    if (typeof options?.embedder?.embed !== "function") {
      throw new ConfigurationError("`embedder` must have an `embed(texts)` method");
    }
    this.k = checkK(options.k ?? 5);
    this.table = checkTable(options.table ?? "vectors");
    this.#embedder = options.embedder;
    this.#db = new (sqlite())(options.path ?? ":memory:");
  }

  async add(docs: readonly Document[]): Promise<void> {
    const checked = checkDocuments(docs);
    await this.#open();
    if (checked.length === 0) return;
    const vectors = await embedAll(this.#embedder, checked.map(embeddingText));
    this.#checkWidth(vectors[0]!.length);
    const remove = this.#db.prepare(`DELETE FROM ${this.table} WHERE id = ?`);
    const insert = this.#db.prepare(
      `INSERT INTO ${this.table} (id, title, text, metadata, embedding) VALUES (?, ?, ?, ?, vec_f32(?))`,
    );
    this.#db.transaction(() => {
      checked.forEach((d, i) => {
        remove.run(d.id);
        insert.run(d.id, d.title ?? null, d.text, d.metadata ? JSON.stringify(d.metadata) : null, blob(vectors[i]!));
      });
    })();
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    checkK(k);
    const filters = filterEntries(options.filters);
    await this.#open();
    if (this.count() === 0) return [];
    const [q] = await embedAll(this.#embedder, [query]);
    this.#checkWidth(q!.length);
    const where = filters.map(
      ([key, values]) => `json_extract(metadata, '$.${key}') IN (${values.map(() => "?").join(", ")})`,
    );
    const params = filters.flatMap(([, values]) => values.map((v) => (typeof v === "boolean" ? Number(v) : v)));
    const rows = this.#db
      .prepare(
        `SELECT id, title, text, metadata, vec_distance_cosine(embedding, vec_f32(?)) AS distance FROM ${this.table} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY distance, rowid LIMIT ?`,
      )
      .all(blob(q!), ...params, k) as Row[];
    // Cosine similarity, as the other embedding retrievers score.
    return rows.map((r) => toPassage(rowDocument(r), 1 - r.distance));
  }

  count(): number {
    return (this.#db.prepare(`SELECT count(*) AS n FROM ${this.table}`).get() as { n: number }).n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #open(): Promise<void> {
    if (this.#closed) throw new ConfigurationError("This retriever was closed", { fix: "create a new one" });
    this.#ready ??= (async () => {
      const sqliteVec = await importOptional<typeof import("sqlite-vec")>("sqlite-vec");
      sqliteVec.load(this.#db);
      this.#db.exec(
        `CREATE TABLE IF NOT EXISTS ${this.table} (id TEXT PRIMARY KEY, title TEXT, text TEXT NOT NULL, metadata TEXT, embedding BLOB NOT NULL)`,
      );
      const row = this.#db.prepare(`SELECT vec_length(embedding) AS d FROM ${this.table} LIMIT 1`).get() as
        | { d: number }
        | undefined;
      this.#dimensions = row?.d;
    })();
    const ready = this.#ready;
    ready.catch(() => {
      if (this.#ready === ready) this.#ready = undefined;
    });
    return ready;
  }

  #checkWidth(d: number): void {
    this.#dimensions ??= d;
    if (d !== this.#dimensions) {
      throw new ConfigurationError(`The embedder gave a ${d}-dim vector for a ${this.#dimensions}-dim index`, {
        fix: "use the embedder the index was built with, or a new table",
      });
    }
  }
}

/** Embeds and checks the embedder kept its contract (one finite vector per text, one width). */
export async function embedAll(embedder: TextEmbedder, texts: string[]): Promise<Float32Array[]> {
  const vectors = await embedder.embed(texts);
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    throw new ConfigurationError(`The embedder returned ${vectors?.length} vectors for ${texts.length} texts`);
  }
  const out = vectors.map((v) => Float32Array.from(v));
  const width = out[0]?.length ?? 0;
  if (width === 0 || out.some((v) => v.length !== width)) {
    throw new ConfigurationError("The embedder returned vectors of different or zero widths");
  }
  return out;
}

function blob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function sqliteVec(options: SqliteVecOptions): SqliteVecRetriever {
  return new SqliteVecRetriever(options);
}
