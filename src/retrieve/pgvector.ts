/**
 * Dense retrieval in PostgreSQL with pgvector: a `vector(d)` column ranked by cosine distance
 * (`<=>`), exact unless the caller adds an approximate index. The extension must be available on
 * the server; the retriever runs `CREATE EXTENSION IF NOT EXISTS vector`, which needs the right
 * to create it (or an administrator to have done so).
 */
import { ConfigurationError } from "../errors.js";
import { checkDocuments, checkK, embeddingText, filterEntries, toPassage } from "./documents.js";
import { PgConnection, type PgConnectionOptions, pgFilterSql, pgRowDocument } from "./postgres.js";
import type { Document, Passage, RetrieveOptions, Retriever, TextEmbedder } from "./retriever.js";
import { embedAll } from "./sqlite-vec.js";
import { checkTable } from "./sqlite-fts.js";

export interface PgVectorOptions extends PgConnectionOptions {
  embedder: TextEmbedder;
  /** Table name; default "vectors". Created if missing, sized by the first vectors. */
  table?: string;
  k?: number;
}

export class PgVectorRetriever implements Retriever {
  readonly supportsFilters = true;
  readonly k: number;
  readonly table: string;
  readonly #embedder: TextEmbedder;
  readonly #db: PgConnection;
  #ready: Promise<number | undefined> | undefined;

  constructor(options: PgVectorOptions) {
    if (typeof options?.embedder?.embed !== "function") {
      throw new ConfigurationError("`embedder` must have an `embed(texts)` method");
    }
    this.k = checkK(options.k ?? 5);
    this.table = checkTable(options.table ?? "vectors");
    this.#embedder = options.embedder;
    this.#db = new PgConnection(options);
  }

  async add(docs: readonly Document[]): Promise<void> {
    const checked = checkDocuments(docs);
    if (checked.length === 0) return;
    const vectors = await embedAll(this.#embedder, checked.map(embeddingText));
    await this.#schema(vectors[0]!.length);
    await this.#db.query(
      `INSERT INTO ${this.table} (id, title, text, metadata, embedding)
       SELECT id, title, text, metadata, embedding::vector
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) AS t(id, title, text, metadata, embedding)
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, text = EXCLUDED.text,
         metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding`,
      [
        checked.map((d) => d.id),
        checked.map((d) => d.title ?? null),
        checked.map((d) => d.text),
        checked.map((d) => (d.metadata ? JSON.stringify(d.metadata) : null)),
        vectors.map(literal),
      ],
    );
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    checkK(k);
    const filters = pgFilterSql(filterEntries(options.filters), 3);
    const dimensions = await this.#schema(undefined);
    if (dimensions === undefined) return [];
    const [q] = await embedAll(this.#embedder, [query]);
    if (q!.length !== dimensions) {
      throw new ConfigurationError(`The embedder gave a ${q!.length}-dim vector for a ${dimensions}-dim table`);
    }
    const rows = await this.#db.query(
      `SELECT id, title, text, metadata, embedding <=> $1::vector AS distance FROM ${this.table}
       WHERE true ${filters.sql} ORDER BY distance, id LIMIT $2`,
      [literal(q!), k, ...filters.params],
    );
    return rows.map((r) => toPassage(pgRowDocument(r), 1 - Number(r.distance)));
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  /** The table's vector width (undefined while no table exists and none is given). */
  #schema(dimensions: number | undefined): Promise<number | undefined> {
    const known = this.#ready;
    this.#ready = (async () => {
      const existing = known ? await known.catch(() => undefined) : await this.#existingWidth();
      if (existing !== undefined) {
        if (dimensions !== undefined && dimensions !== existing) {
          throw new ConfigurationError(`The embedder gave ${dimensions}-dim vectors for a ${existing}-dim table`, {
            fix: "use the embedder the table was built with, or another table",
          });
        }
        return existing;
      }
      if (dimensions === undefined) return undefined;
      await this.#db.query(`CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE IF NOT EXISTS ${this.table} (
          id text PRIMARY KEY, title text, text text NOT NULL, metadata jsonb, embedding vector(${dimensions}) NOT NULL)`);
      return dimensions;
    })();
    return this.#ready;
  }

  async #existingWidth(): Promise<number | undefined> {
    const rows = await this.#db.query(
      `SELECT atttypmod AS d FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'embedding'`,
      [this.table],
    );
    const d = rows[0]?.d;
    return typeof d === "number" && d > 0 ? d : undefined;
  }
}

/** pgvector's text form, '[0.1,0.2,...]'. */
function literal(v: Float32Array): string {
  return `[${Array.from(v).join(",")}]`;
}

export function pgVector(options: PgVectorOptions): PgVectorRetriever {
  return new PgVectorRetriever(options);
}
