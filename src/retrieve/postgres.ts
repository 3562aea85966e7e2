/**
 * The connection both PostgreSQL retrievers share: a `pg` pool (an optional peer) from a
 * connection string, or any client with pg's `query(text, values)`. The table schema is the
 * retriever's; this file owns connecting, filters as SQL, and closing.
 */
import { ConfigurationError } from "../errors.js";
import { importOptional } from "../optional.js";
import type { Document, FilterValue } from "./retriever.js";

/** What the retrievers need of a pg client or pool (pg's `Pool` and `Client` both fit). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface PgConnectionOptions {
  /** e.g. postgres://user@127.0.0.1:5432/db; default: $DATABASE_URL. */
  connectionString?: string;
  /** A pool or client to use instead (not closed by `close()`). */
  client?: PgQueryable;
}

interface PgPool extends PgQueryable {
  end(): Promise<void>;
}

export class PgConnection {
  readonly #options: PgConnectionOptions;
  #pool: Promise<PgQueryable> | undefined;
  #owned: PgPool | undefined;
  #closed = false;

  constructor(options: PgConnectionOptions) {
    const url = options.connectionString ?? process.env.DATABASE_URL;
    if (options.client === undefined && (url === undefined || url === "")) {
      throw new ConfigurationError("A PostgreSQL retriever needs a connection", {
        fix: "pass { connectionString: 'postgres://user@host:port/db' } or { client: pgPool }, or set DATABASE_URL",
      });
    }
    this.#options = { ...options, ...(url !== undefined ? { connectionString: url } : {}) };
  }

  async query(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
    if (this.#closed) throw new ConfigurationError("This retriever was closed", { fix: "create a new one" });
    this.#pool ??= this.#connect();
    const pool = this.#pool;
    pool.catch(() => {
      if (this.#pool === pool) this.#pool = undefined;
    });
    const client = await pool;
    // No values: the simple protocol, which allows several statements (schema set-up).
    return (values.length > 0 ? await client.query(text, values) : await client.query(text)).rows;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const owned = this.#owned;
    this.#owned = undefined;
    await owned?.end();
  }

  async #connect(): Promise<PgQueryable> {
    if (this.#options.client) return this.#options.client;
    const mod = await importOptional<{
      default?: { Pool: new (c: object) => PgPool };
      Pool?: new (c: object) => PgPool;
    }>("pg");
    const Pool = mod.default?.Pool ?? mod.Pool;
    if (Pool === undefined) throw new ConfigurationError("The installed pg package has no Pool export");
    const pool = new Pool({ connectionString: this.#options.connectionString, max: 4 });
    this.#owned = pool;
    return pool;
  }
}

/** `AND metadata->>'key' = ANY($n)` clauses; values compared as jsonb text (true -> 'true', 2 -> '2'). */
export function pgFilterSql(
  filters: [string, FilterValue[]][],
  firstParam: number,
): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const [key, values] of filters) {
    params.push(values.map(String));
    clauses.push(`AND metadata->>'${key}' = ANY($${firstParam + params.length - 1}::text[])`);
  }
  return { sql: clauses.join(" "), params };
}

/** A row of either PostgreSQL table (metadata is jsonb, so pg has parsed it) as a Document. */
export function pgRowDocument(r: Record<string, unknown>): Document {
  return {
    id: String(r.id),
    text: String(r.text),
    ...(r.title !== null && r.title !== undefined ? { title: String(r.title) } : {}),
    ...(r.metadata !== null && r.metadata !== undefined
      ? { metadata: r.metadata as Document["metadata"] & object }
      : {}),
  };
}
