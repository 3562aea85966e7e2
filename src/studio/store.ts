/**
 * The studio's store: recorded runs in one SQLite file under the DSPex home (WAL, so `dspex studio`
 * reads while a run writes, from another process). The layout is versioned with
 * `PRAGMA user_version`; a file written by a newer layout is refused rather than misread.
 *
 * Values (inputs, predictions, messages, outputs, program states) are JSON text made by
 * `storable()`, which has already removed the secrets.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { onFirstUse } from "../lazy.js";
import { homePaths } from "../home.js";
import { StudioStoreError } from "./errors.js";

/** The native addon loads with the first store opened, not with `import("dspex")`. */
const sqlite = onFirstUse<typeof Database>("better-sqlite3");

export const SCHEMA_VERSION = 1;

export type RunKind = "evaluate" | "optimize" | "program" | "lm" | "tool";
export type RunStatus = "running" | "ok" | "failed";
export type SpanKind = "evaluate" | "compile" | "module" | "lm" | "tool";

export interface RunRow {
  id: string;
  kind: RunKind;
  name: string;
  startedAt: number;
  endedAt: number | null;
  status: RunStatus;
  score: number | null;
  /** JSON: the kind's summary (metric and counts; optimizer, scores, states before and after). */
  detail: string | null;
  error: string | null;
}

export interface ExampleRow {
  runId: string;
  idx: number;
  /** JSON of the example's inputs and labels, and of the prediction. */
  inputs: string;
  labels: string;
  prediction: string;
  score: number;
  error: string | null;
  /** The span of the program call that made this prediction. */
  traceId: string | null;
}

export interface TrialRow {
  runId: string;
  seq: number;
  trial: number;
  score: number | null;
  best: number | null;
  message: string;
  at: number;
}

export interface SpanRow {
  id: string;
  runId: string;
  parentId: string | null;
  kind: SpanKind;
  name: string;
  startedAt: number;
  endedAt: number | null;
  inputs: string | null;
  outputs: string | null;
  error: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  cached: number | null;
}

/** Default store: `<DSPex home>/studio/runs.sqlite`, read when called so DSPEX_HOME can change. */
export function defaultStorePath(): string {
  return homePaths().studio;
}

const TABLES = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, started_at INTEGER NOT NULL,
  ended_at INTEGER, status TEXT NOT NULL, score REAL, detail TEXT, error TEXT);
CREATE TABLE IF NOT EXISTS examples (
  run_id TEXT NOT NULL, idx INTEGER NOT NULL, inputs TEXT NOT NULL, labels TEXT NOT NULL,
  prediction TEXT NOT NULL, score REAL NOT NULL, error TEXT, trace_id TEXT, PRIMARY KEY (run_id, idx));
CREATE TABLE IF NOT EXISTS trials (
  run_id TEXT NOT NULL, seq INTEGER NOT NULL, trial INTEGER NOT NULL, score REAL, best REAL,
  message TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS spans (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, parent_id TEXT, kind TEXT NOT NULL, name TEXT NOT NULL,
  started_at INTEGER NOT NULL, ended_at INTEGER, inputs TEXT, outputs TEXT, error TEXT,
  prompt_tokens INTEGER, completion_tokens INTEGER, cached INTEGER);
CREATE INDEX IF NOT EXISTS spans_run ON spans (run_id);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);
`;

const RUN_COLUMNS = "id, kind, name, started_at AS startedAt, ended_at AS endedAt, status, score, detail, error";
const SPAN_COLUMNS =
  "id, run_id AS runId, parent_id AS parentId, kind, name, started_at AS startedAt, ended_at AS endedAt, " +
  "inputs, outputs, error, prompt_tokens AS promptTokens, completion_tokens AS completionTokens, cached";

export class RunStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepare>;
  private pending: (() => void)[] = [];
  private broken = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onExit = () => {
    try {
      this.flush();
    } catch {
      // At exit there is no one left to tell.
    }
  };

  /** Opens (creating if needed) the store; throws {@link StudioStoreError} if it cannot. */
  constructor(path: string = defaultStorePath(), options: { readonly?: boolean } = {}) {
    this.path = path;
    try {
      if (path !== ":memory:" && !options.readonly) mkdirSync(dirname(path), { recursive: true });
      const Sqlite = sqlite();
      this.db = new Sqlite(path, { timeout: 2000, readonly: options.readonly ?? false });
      if (!options.readonly) migrate(this.db, path);
      else checkVersion(this.db, path);
      this.statements = prepare(this.db);
      if (!options.readonly) process.once("exit", this.onExit);
    } catch (error) {
      if (error instanceof StudioStoreError) throw error;
      throw new StudioStoreError(`cannot open the studio store ${path}: ${(error as Error).message}`, {
        context: { path },
        fix: "check that the DSPex home is writable (DSPEX_HOME), or record elsewhere: recordRuns({ path })",
        cause: error,
      });
    }
  }

  /*
   * Writes are queued and made in one transaction per batch: a commit per event cost more than
   * the rest of recording (a program called in a loop is a run per call). The batch is written
   * within 50 ms, when 500 writes wait, before any read, on close and at process exit.
   */

  startRun(run: Pick<RunRow, "id" | "kind" | "name" | "startedAt">): void {
    this.queue(() => this.statements.insertRun.run(run.id, run.kind, run.name, run.startedAt));
  }

  endRun(
    id: string,
    end: { endedAt: number; status: RunStatus; score?: number | null; detail?: string | null; error?: string | null },
  ): void {
    this.queue(() =>
      this.statements.endRun.run(end.endedAt, end.status, end.score ?? null, end.detail ?? null, end.error ?? null, id),
    );
  }

  addExamples(rows: readonly ExampleRow[]): void {
    const insert = this.statements.insertExample;
    this.queue(() => {
      for (const r of rows) insert.run(r.runId, r.idx, r.inputs, r.labels, r.prediction, r.score, r.error, r.traceId);
    });
  }

  addTrial(row: TrialRow): void {
    this.queue(() =>
      this.statements.insertTrial.run(row.runId, row.seq, row.trial, row.score, row.best, row.message, row.at),
    );
  }

  addSpan(s: SpanRow): void {
    this.queue(() => this.writeSpan(s));
  }

  /** Writes the queued rows now; throws {@link StudioStoreError} if the store refuses them. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const writes = this.pending;
    this.pending = [];
    try {
      this.db.transaction(() => {
        for (const write of writes) write();
      })();
    } catch (error) {
      throw new StudioStoreError(`cannot write to the studio store ${this.path}: ${(error as Error).message}`, {
        context: { path: this.path, rows: writes.length },
        fix: "check the disk and the file's permissions; another process may hold a long lock on it",
        cause: error,
      });
    }
  }

  private queue(write: () => void): void {
    this.pending.push(write);
    if (this.pending.length >= 500) this.flush();
    else this.timer ??= setTimeout(() => this.flushLater(), 50).unref();
  }

  /** A timed flush has no caller to throw to: its failure is reported once, and later writes are dropped. */
  private flushLater(): void {
    if (this.broken) {
      this.pending = [];
      return;
    }
    try {
      this.flush();
    } catch (error) {
      this.broken = true;
      console.warn(`dspex: recording runs stopped: ${(error as Error).message}`);
    }
  }

  private writeSpan(s: SpanRow): void {
    this.statements.insertSpan.run(
      s.id,
      s.runId,
      s.parentId,
      s.kind,
      s.name,
      s.startedAt,
      s.endedAt,
      s.inputs,
      s.outputs,
      s.error,
      s.promptTokens,
      s.completionTokens,
      s.cached,
    );
  }

  /** Newest first. */
  runs(limit = 500): RunRow[] {
    this.flush();
    return this.statements.listRuns.all(limit) as RunRow[];
  }

  run(id: string): RunRow | undefined {
    this.flush();
    return this.statements.getRun.get(id) as RunRow | undefined;
  }

  examples(runId: string): ExampleRow[] {
    this.flush();
    return this.statements.listExamples.all(runId) as ExampleRow[];
  }

  trials(runId: string): TrialRow[] {
    this.flush();
    return this.statements.listTrials.all(runId) as TrialRow[];
  }

  spans(runId: string): SpanRow[] {
    this.flush();
    return this.statements.listSpans.all(runId) as SpanRow[];
  }

  close(): void {
    this.flush();
    process.removeListener("exit", this.onExit);
    this.db.close();
  }
}

function prepare(db: Database.Database) {
  return {
    insertRun: db.prepare(
      "INSERT OR REPLACE INTO runs (id, kind, name, started_at, status) VALUES (?, ?, ?, ?, 'running')",
    ),
    endRun: db.prepare("UPDATE runs SET ended_at = ?, status = ?, score = ?, detail = ?, error = ? WHERE id = ?"),
    insertExample: db.prepare(
      "INSERT OR REPLACE INTO examples (run_id, idx, inputs, labels, prediction, score, error, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    insertTrial: db.prepare(
      "INSERT OR REPLACE INTO trials (run_id, seq, trial, score, best, message, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    insertSpan: db.prepare(
      "INSERT OR REPLACE INTO spans (id, run_id, parent_id, kind, name, started_at, ended_at, inputs, outputs, error, prompt_tokens, completion_tokens, cached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    listRuns: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?`),
    getRun: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`),
    listExamples: db.prepare(
      "SELECT run_id AS runId, idx, inputs, labels, prediction, score, error, trace_id AS traceId FROM examples WHERE run_id = ? ORDER BY idx",
    ),
    listTrials: db.prepare(
      "SELECT run_id AS runId, seq, trial, score, best, message, at FROM trials WHERE run_id = ? ORDER BY seq",
    ),
    listSpans: db.prepare(`SELECT ${SPAN_COLUMNS} FROM spans WHERE run_id = ? ORDER BY started_at, rowid`),
  };
}

function version(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

function checkVersion(db: Database.Database, path: string): void {
  const found = version(db);
  if (found > SCHEMA_VERSION) {
    throw new StudioStoreError(
      `the studio store ${path} has layout ${found}; this dspex reads up to ${SCHEMA_VERSION}`,
      {
        context: { path, found, supported: SCHEMA_VERSION },
        fix: "upgrade dspex, or point DSPEX_HOME (or recordRuns({ path })) at another store",
      },
    );
  }
}

/** Creates the tables of a new store; later layouts add their steps here, keyed by the version found. */
function migrate(db: Database.Database, path: string): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  checkVersion(db, path);
  if (version(db) < 1) {
    db.transaction(() => {
      db.exec(TABLES);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
}
