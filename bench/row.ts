/**
 * Shared shape and statistics for every bench script. Each script exports `run(): Promise<Row[]>`;
 * bench/run.ts gathers them into one table. Only ratios against a baseline measured in the same
 * run are meaningful on a shared, noisy machine.
 */
export interface Row {
  measure: string;
  /** What was measured, with units, e.g. "p50 µs/call". */
  unit: string;
  ours: number;
  baseline: number | null;
  /** Name of the baseline, e.g. "DSPy 3.4.1 Predict + DummyLM". */
  baselineName: string;
  /** ours / baseline or baseline / ours, whichever the goal is written in. */
  ratio: number | null;
  goal: string;
  met: boolean | null;
  note?: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Median and spread (min..max) of several runs. */
export function summarize(runs: readonly number[]): { median: number; min: number; max: number } {
  return { median: median(runs), min: Math.min(...runs), max: Math.max(...runs) };
}

export function fmt(n: number | null, digits = 1): string {
  if (n === null || Number.isNaN(n)) return "-";
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  return n.toFixed(digits);
}

export function printTable(rows: readonly Row[]): void {
  const header = ["measure", "unit", "ours", "baseline", "baseline is", "ratio", "goal", "met"];
  const body = rows.map((r) => [
    r.measure,
    r.unit,
    fmt(r.ours, 2),
    fmt(r.baseline, 2),
    r.baselineName,
    r.ratio === null ? "-" : `${fmt(r.ratio, 2)}x`,
    r.goal,
    r.met === null ? "-" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
  for (const r of rows) if (r.note) console.log(`  ${r.measure}: ${r.note}`);
}

/** For scripts run directly: print the table, or one JSON array with --json. */
export function report(rows: readonly Row[]): void {
  if (process.argv.includes("--json")) {
    console.log(
      JSON.stringify(
        rows.map((r) => ({
          measure: r.measure,
          ours: r.ours,
          baseline: r.baseline,
          ratio: r.ratio,
          goal: r.goal,
          met: r.met,
          unit: r.unit,
          baselineName: r.baselineName,
        })),
      ),
    );
  } else {
    printTable(rows);
  }
}
