import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { onFirstUse } from "../lazy.js";
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

/** The native addon, loaded with the first store opened: importing DSPex never loads it. */
const sqlite = onFirstUse<typeof Database>("better-sqlite3");
function openDatabase(path: string, options: Database.Options): Database.Database {
  const DatabaseClass = sqlite();
  return new DatabaseClass(path, options);
}

/** A write not yet in the file: the stored response and its timestamps. */
interface PendingWrite {
  value: LMResponse;
  createdAt: number;
  expiresAt: number | null;
}

/** Writes gathered in one tick are one transaction; past this many they are written at once. */
const BATCH_LIMIT = 256;

/** Stores with writes not yet in the file; the process's exit hook writes them (SQLite is synchronous). */
const unflushed = new Set<SqliteStore>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const store of unflushed) {
      try {
        store.flush();
      } catch {
        // Exiting: there is nobody left to tell.
      }
    }
  });
}

/** Bumped when the table layout changes; a store finding another version starts afresh. */
const SCHEMA_VERSION = 1;

/**
 * Responses in one SQLite file, shared by every process on the machine. WAL mode lets readers
 * run while one process writes, and busy_timeout makes concurrent writers queue instead of
 * failing. Values are the JSON of an LMResponse.
 *
 * Writes are batched: `set` keeps the value in a pending map (which `get` reads first) and the
 * whole tick's writes go to the file in one transaction on the next turn of the event loop, or
 * at once past BATCH_LIMIT. One autocommit per write cost ~15 µs on a miss; a batch costs a
 * fraction of that per row. Nothing is lost on the way out: `close()` (and so `shutdown()`),
 * the process's `exit` event and the batch's own promise all write what is pending.
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
  private readonly writeBatch: (writes: [string, PendingWrite][]) => void;
  private pending = new Map<string, PendingWrite>();
  /** Settles when the pending writes are in the file (rejects with the write's error). */
  private batch: Promise<void> | undefined;
  private settleBatch: ((error?: unknown) => void) | undefined;

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
      db = openDatabase(this.path, { timeout: busyTimeoutMs });
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
      const upsert = this.upsertStmt;
      this.writeBatch = db.transaction((writes: [string, PendingWrite][]) => {
        for (const [key, w] of writes) upsert.run(key, JSON.stringify(w.value), w.createdAt, w.expiresAt);
      });
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
    const waiting = this.pending.get(key);
    if (waiting !== undefined) {
      if (waiting.expiresAt !== null && waiting.expiresAt <= this.now()) return undefined;
      return toStored(waiting.value);
    }
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

  /**
   * Queues the write; the promise settles when it is in the file (it rejects with a
   * CacheStoreError if the batch fails). Every write of one batch shares the promise.
   */
  set(key: string, value: LMResponse): Promise<void> {
    const now = this.now();
    const expiresAt = this.ttlMs === undefined ? null : now + this.ttlMs;
    // Re-set keys move to the end, so the batch keeps the order of the last writes.
    this.pending.delete(key);
    this.pending.set(key, { value: toStored(value), createdAt: now, expiresAt });
    const batch = this.schedule();
    if (this.pending.size >= BATCH_LIMIT) this.flushQuietly();
    return batch;
  }

  /** Writes every pending write now, in one transaction; throws {@link CacheStoreError} if it fails. */
  flush(): void {
    if (this.pending.size === 0) {
      // Everything pending was deleted or cleared: the batch is done.
      const settle = this.settleBatch;
      this.batch = undefined;
      this.settleBatch = undefined;
      unflushed.delete(this);
      settle?.();
      return;
    }
    const writes = [...this.pending];
    this.pending = new Map();
    unflushed.delete(this);
    const settle = this.settleBatch;
    this.batch = undefined;
    this.settleBatch = undefined;
    try {
      if (!this.db.open) throw new Error("the database is closed");
      this.writeBatch(writes);
    } catch (error) {
      const failure = storeError("write", this.path, error);
      settle?.(failure);
      throw failure;
    }
    settle?.();
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // The batch's promise carries the error to the cache, which warns and goes memory-only.
    }
  }

  private schedule(): Promise<void> {
    if (this.batch !== undefined) return this.batch;
    this.batch = new Promise<void>((resolve, reject) => {
      this.settleBatch = (error) => (error === undefined ? resolve() : reject(error));
    });
    unflushed.add(this);
    hookExit();
    setImmediate(() => this.flushQuietly());
    return this.batch;
  }

  delete(key: string): boolean {
    const waiting = this.pending.delete(key);
    try {
      return this.deleteStmt.run(key).changes > 0 || waiting;
    } catch (error) {
      throw storeError("write", this.path, error);
    }
  }

  clear(): void {
    this.pending.clear();
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
    this.flush();
    try {
      return this.countStmt.get()!;
    } catch (error) {
      throw storeError("read", this.path, error);
    }
  }

  /** Writes what is pending, then closes the file. */
  close(): void {
    try {
      this.flush();
    } finally {
      if (this.db.open) this.db.close();
    }
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
