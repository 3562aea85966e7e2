/**
 * Full-text retrieval in SQLite FTS5 (the embedded default: better-sqlite3, no server), ranked by
 * FTS5's bm25. A query's words are ORed (see queryWords) and stemmed by the porter tokenizer, so
 * "planets" finds "planet". Metadata filters are tested with json_extract in the same statement.
 */
import type Database from "better-sqlite3";
import { onFirstUse } from "../lazy.js";
import { ConfigurationError } from "../errors.js";
import { checkDocuments, checkK, filterEntries, queryWords, toPassage } from "./documents.js";
import type { Document, Passage, RetrieveOptions, Retriever } from "./retriever.js";

/** The native addon loads with the first store opened, not with `import("dspex")`. */
const sqlite = onFirstUse<typeof Database>("better-sqlite3");

export interface SqliteFtsOptions {
  /** Database file; default ":memory:". A file keeps the index across runs. */
  path?: string;
  /** Table name (letters, digits, _); default "passages". */
  table?: string;
  /** Default number of passages; default 5. */
  k?: number;
}

/** A passage as both SQLite stores keep it (metadata as JSON text). */
export interface StoredRow {
  id: string;
  title: string | null;
  text: string;
  metadata: string | null;
}

type Row = StoredRow & { rank: number };

const TABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkTable(name: string): string {
  if (!TABLE.test(name)) {
    throw new ConfigurationError(`Table name "${name}" is not a plain identifier`, {
      fix: "use letters, digits and _ (not starting with a digit)",
    });
  }
  return name;
}

export class SqliteFtsRetriever implements Retriever {
  readonly supportsFilters = true;
  readonly k: number;
  readonly table: string;
  // better-sqlite3's type stays out of the public declarations (consumers need not have its @types).
  readonly #db: InstanceType<typeof Database>;
  #closed = false;

  constructor(options: SqliteFtsOptions = {}) {
    this.k = checkK(options.k ?? 5);
    this.table = checkTable(options.table ?? "passages");
    this.#db = new (sqlite())(options.path ?? ":memory:");
    // id and metadata are stored, not indexed: only title and text are searched.
    this.#db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${this.table} USING fts5(id UNINDEXED, title, text, metadata UNINDEXED, tokenize='porter unicode61')`,
    );
  }

  async add(docs: readonly Document[]): Promise<void> {
    const checked = checkDocuments(docs);
    this.#open();
    const remove = this.#db.prepare(`DELETE FROM ${this.table} WHERE id = ?`);
    const insert = this.#db.prepare(`INSERT INTO ${this.table} (id, title, text, metadata) VALUES (?, ?, ?, ?)`);
    this.#db.transaction(() => {
      for (const d of checked) {
        remove.run(d.id);
        insert.run(d.id, d.title ?? null, d.text, d.metadata ? JSON.stringify(d.metadata) : null);
      }
    })();
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    checkK(k);
    const filters = filterEntries(options.filters);
    this.#open();
    const words = queryWords(query);
    if (words.length === 0) return [];
    // Each word quoted, so FTS5 syntax in a user's query (AND, NEAR, *, :) stays literal.
    const match = words.map((w) => `"${w}"`).join(" OR ");
    const where = filters.map(
      ([key, values]) => `AND json_extract(metadata, '$.${key}') IN (${values.map(() => "?").join(", ")})`,
    );
    const params = filters.flatMap(([, values]) => values.map((v) => (typeof v === "boolean" ? Number(v) : v)));
    const rows = this.#db
      .prepare(
        `SELECT id, title, text, metadata, bm25(${this.table}) AS rank FROM ${this.table} WHERE ${this.table} MATCH ? ${where.join(" ")} ORDER BY rank, rowid LIMIT ?`,
      )
      .all(match, ...params, k) as Row[];
    // bm25() is lower-is-better; negated so that scores read higher-is-better like every retriever's.
    return rows.map((r) => toPassage(rowDocument(r), -r.rank));
  }

  /** Documents indexed. */
  count(): number {
    this.#open();
    return (this.#db.prepare(`SELECT count(*) AS n FROM ${this.table}`).get() as { n: number }).n;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #open(): void {
    if (this.#closed) throw new ConfigurationError("This retriever was closed", { fix: "create a new one" });
  }
}

export function rowDocument(r: StoredRow): Document {
  return {
    id: r.id,
    text: r.text,
    ...(r.title !== null ? { title: r.title } : {}),
    ...(r.metadata !== null ? { metadata: JSON.parse(r.metadata) as Document["metadata"] & object } : {}),
  };
}

export function sqliteFts(options: SqliteFtsOptions = {}): SqliteFtsRetriever {
  return new SqliteFtsRetriever(options);
}
