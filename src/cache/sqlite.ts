import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ConfigurationError } from "../errors.js";
import type { LMResponse } from "../lm/types.js";
import { CacheStoreError, errorCode } from "./errors.js";
import { defaultCachePath } from "./paths.js";
import { type CacheStore, fromJSON, toStored } from "./store.js";

export interface SqliteStoreOptions {
  /** The database file. Default: {@link defaultCachePath}; ":memory:" works for tests. */
  path?: string;
  /**
   * How long a statement waits for another process's lock before failing. better-sqlite3 is
   * synchronous, so this blocks the event loop for at most this long. Default 2000 ms: writes
   * here are single-row autocommits that hold the lock for microseconds, so only a stuck or
   * hostile lock holder ever reaches it.
   */
  busyTimeoutMs?: number;
  /** Entries older than this are misses (and are pruned when the store opens). */
  ttlMs?: number;
  /** Clock, for tests of the TTL. */
  now?: () => number;
}

type Row = [value: string, expiresAt: number | null];

/** Bumped when the table layout changes; a store finding another version starts afresh. */
const SCHEMA_VERSION = 1;

/**
 * Responses in one SQLite file, shared by every process on the machine. WAL mode lets readers
 * run while one process writes, and busy_timeout makes concurrent writers queue instead of
 * failing. Values are the JSON of an LMResponse.
 */
export class SqliteStore implements CacheStore {
  readonly name = "sqlite";
  readonly path: string;
  private readonly db: Database.Database;
  private readonly ttlMs: number | undefined;
  private readonly now: () => number;
  private readonly selectStmt: Database.Statement<[string], Row>;
  private readonly upsertStmt: Database.Statement<[string, string, number, number | null]>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly clearStmt: Database.Statement<[]>;
  private readonly pruneStmt: Database.Statement<[number]>;
  private readonly countStmt: Database.Statement<[], number>;

  /** Opens (creating if needed) the database; throws {@link CacheStoreError} if it cannot. */
  constructor(options: SqliteStoreOptions = {}) {
    const busyTimeoutMs = options.busyTimeoutMs ?? 2000;
    if (!(busyTimeoutMs >= 0)) throw new ConfigurationError(`busyTimeoutMs must be >= 0, got ${busyTimeoutMs}`);
    if (options.ttlMs !== undefined && !(options.ttlMs > 0)) {
      throw new ConfigurationError(`ttlMs must be positive, got ${options.ttlMs}`);
    }
    this.path = options.path ?? defaultCachePath();
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;

    let db: Database.Database | undefined;
    try {
      if (this.path !== ":memory:") mkdirSync(dirname(this.path), { recursive: true });
      db = new Database(this.path, { timeout: busyTimeoutMs });
      initialize(db);
      this.db = db;
      this.selectStmt = db.prepare<[string], Row>("SELECT value, expires_at FROM entries WHERE key = ?").raw();
      this.upsertStmt = db.prepare(
        "INSERT OR REPLACE INTO entries (key, value, created_at, expires_at) VALUES (?, ?, ?, ?)",
      );
      this.deleteStmt = db.prepare("DELETE FROM entries WHERE key = ?");
      this.clearStmt = db.prepare("DELETE FROM entries");
      this.pruneStmt = db.prepare("DELETE FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ?");
      this.countStmt = db.prepare<[], number>("SELECT count(*) FROM entries").pluck();
      if (this.ttlMs !== undefined) this.pruneStmt.run(this.now());
    } catch (error) {
      try {
        db?.close();
      } catch {
        // The open failed; a failing close adds nothing.
      }
      throw storeError("open", this.path, error);
    }
  }

  get(key: string): LMResponse | undefined {
    let row: Row | undefined;
    try {
      row = this.selectStmt.get(key);
    } catch (error) {
      throw storeError("read", this.path, error);
    }
    if (row === undefined) return undefined;
    const expiresAt = row[1];
    if (expiresAt !== null && expiresAt <= this.now()) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row[0]);
    } catch {
      parsed = undefined;
    }
    const value = fromJSON(parsed);
    // A row that is not a response (written by hand, or by a broken build) is a miss, not an error.
    if (value === undefined) this.delete(key);
    return value;
  }

  set(key: string, value: LMResponse): void {
    const now = this.now();
    const expiresAt = this.ttlMs === undefined ? null : now + this.ttlMs;
    try {
      this.upsertStmt.run(key, JSON.stringify(toStored(value)), now, expiresAt);
    } catch (error) {
      throw storeError("write", this.path, error);
    }
  }

  delete(key: string): boolean {
    try {
      return this.deleteStmt.run(key).changes > 0;
    } catch (error) {
      throw storeError("write", this.path, error);
    }
  }

  clear(): void {
    try {
      this.clearStmt.run();
    } catch (error) {
      throw storeError("write", this.path, error);
    }
  }

  /** Deletes expired entries; returns how many. */
  prune(): number {
    try {
      return this.pruneStmt.run(this.now()).changes;
    } catch (error) {
      throw storeError("write", this.path, error);
    }
  }

  /** Number of stored entries, expired ones included until pruned. */
  count(): number {
    try {
      return this.countStmt.get()!;
    } catch (error) {
      throw storeError("read", this.path, error);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function initialize(db: Database.Database): void {
  // WAL persists in the file, so only the first process to open it changes the mode; the others
  // find it set. synchronous=NORMAL is safe in WAL (a crash loses at most the last commits,
  // never the file), and a cache can afford that.
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  // Checked inside the write transaction so that two processes creating the file at once
  // cannot both decide to (re)build the table.
  const migrate = db.transaction(() => {
    const version = db.pragma("user_version", { simple: true });
    if (version === SCHEMA_VERSION) return;
    if (version !== 0) db.exec("DROP TABLE IF EXISTS entries");
    db.exec(
      "CREATE TABLE IF NOT EXISTS entries (" +
        " key TEXT PRIMARY KEY, value TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER" +
        ") WITHOUT ROWID",
    );
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  if (db.pragma("user_version", { simple: true }) !== SCHEMA_VERSION) migrate.immediate();
}

function storeError(operation: "open" | "read" | "write", path: string, cause: unknown): CacheStoreError {
  const code = errorCode(cause);
  const reason = cause instanceof Error ? cause.message : String(cause);
  const fix =
    code === "SQLITE_BUSY" || code === "SQLITE_LOCKED"
      ? "Another process holds a long lock on the cache file; close it or point DSPEX_CACHE_DIR elsewhere."
      : code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT"
        ? `The cache file is damaged; delete ${path} (it is only a cache) or point DSPEX_CACHE_DIR elsewhere.`
        : "Check that the cache directory is writable, or point DSPEX_CACHE_DIR elsewhere.";
  return new CacheStoreError(`SQLite cache ${operation} failed (${path}): ${reason}`, {
    context: { path, operation, code },
    fix,
    cause,
  });
}
