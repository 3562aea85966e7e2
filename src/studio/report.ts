/** `--report out.html`: the studio's views of some runs, written as one self-contained HTML file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { studioPage } from "./page.js";
import { runRecord } from "./run-record.js";
import type { RunStore } from "./store.js";

/** Writes the runs (and their examples, trials and traces) into `path`; returns the absolute path. */
export function writeReport(store: RunStore, runIds: readonly string[], path: string): string {
  const records = runIds.map((id) => runRecord(store, id));
  const details: Record<string, unknown> = {};
  for (const r of records) details[r.run.id] = r;
  const title = records.length === 1 ? `DSPex ${records[0]!.run.kind}: ${records[0]!.run.name}` : "DSPex report";
  const out = resolve(path);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, studioPage({ title, data: { runs: records.map((r) => r.run), details } }));
  return out;
}
