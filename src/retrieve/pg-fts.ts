/**
 * Full-text retrieval in PostgreSQL: a stored `tsvector` column (title and text, the language's
 * stemming) under a GIN index, ranked by `ts_rank`. A query's words are ORed, as in SQLite FTS5.
 */
import { checkDocuments, checkK, filterEntries, queryWords, toPassage } from "./documents.js";
import { PgConnection, type PgConnectionOptions, pgFilterSql, pgRowDocument } from "./postgres.js";
import type { Document, Passage, RetrieveOptions, Retriever } from "./retriever.js";
import { checkTable } from "./sqlite-fts.js";

export interface PgFtsOptions extends PgConnectionOptions {
  /** Table name; default "passages". Created if missing. */
  table?: string;
  /** A text search configuration; default "english". */
  language?: string;
  k?: number;
}

export class PgFtsRetriever implements Retriever {
  readonly supportsFilters = true;
  readonly k: number;
  readonly table: string;
  readonly language: string;
  readonly #db: PgConnection;
  #ready: Promise<void> | undefined;

  constructor(options: PgFtsOptions = {}) {
    this.k = checkK(options.k ?? 5);
    this.table = checkTable(options.table ?? "passages");
    this.language = checkTable(options.language ?? "english");
    this.#db = new PgConnection(options);
  }

  async add(docs: readonly Document[]): Promise<void> {
    const checked = checkDocuments(docs);
    await this.#schema();
    if (checked.length === 0) return;
    await this.#db.query(
      `INSERT INTO ${this.table} (id, title, text, metadata)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
       ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, text = EXCLUDED.text, metadata = EXCLUDED.metadata`,
      [
        checked.map((d) => d.id),
        checked.map((d) => d.title ?? null),
        checked.map((d) => d.text),
        checked.map((d) => (d.metadata ? JSON.stringify(d.metadata) : null)),
      ],
    );
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    checkK(k);
    const filters = pgFilterSql(filterEntries(options.filters), 3);
    await this.#schema();
    const words = queryWords(query);
    if (words.length === 0) return [];
    // Each word through plainto_tsquery (stemmed, never parsed as tsquery syntax), then ORed.
    const rows = await this.#db.query(
      `WITH q AS (SELECT string_agg(plainto_tsquery('${this.language}', w)::text, ' | ')::tsquery AS q
                  FROM unnest($1::text[]) AS w WHERE plainto_tsquery('${this.language}', w)::text <> '')
       SELECT id, title, text, metadata, ts_rank(tsv, q.q) AS rank FROM ${this.table}, q
       WHERE tsv @@ q.q ${filters.sql} ORDER BY rank DESC, id LIMIT $2`,
      [words, k, ...filters.params],
    );
    return rows.map((r) => toPassage(pgRowDocument(r), Number(r.rank)));
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  #schema(): Promise<void> {
    this.#ready ??= this.#db
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           id text PRIMARY KEY, title text, text text NOT NULL, metadata jsonb,
           tsv tsvector GENERATED ALWAYS AS (to_tsvector('${this.language}', coalesce(title, '') || ' ' || text)) STORED);
         CREATE INDEX IF NOT EXISTS ${this.table}_tsv ON ${this.table} USING gin (tsv)`,
      )
      .then(() => undefined);
    const ready = this.#ready;
    ready.catch(() => {
      if (this.#ready === ready) this.#ready = undefined;
    });
    return ready;
  }
}

export function pgFts(options: PgFtsOptions = {}): PgFtsRetriever {
  return new PgFtsRetriever(options);
}
