/**
 * Runs the bench scripts named on the command line (default: all) and prints one table, or with
 * --json one JSON array of rows. Launched by bench/run.mjs on compiled code.
 */
import { report, type Row } from "./row.js";

/** What bench scripts return: Row, give or take (older scripts use a numeric goal, no unit). */
interface Loose {
  measure: string;
  ours: number;
  unit?: string;
  baseline?: number | null;
  baselineName?: string;
  ratio?: number | null;
  goal?: unknown;
  met?: boolean | null;
  note?: string;
}
type BenchModule = { run: () => Promise<Loose[]>; measure?: () => Promise<{ rows: Loose[]; summary: unknown }> };
type Bench = { name: string; load: () => Promise<BenchModule> };

const BENCHES: Bench[] = [
  { name: "p1", load: () => import("./p1-predict.js") },
  { name: "p2", load: () => import("./p2-bridge.js") },
  { name: "p3", load: () => import("./p3-callback.js") },
  { name: "p4", load: () => import("./p4-evaluate.js") },
  { name: "p5", load: () => import("./p5-cache.js") },
  { name: "p6", load: () => import("./p6-coldstart.js") },
  { name: "p7", load: () => import("./p7-local.js" as string) as Promise<BenchModule> },
  { name: "memory", load: () => import("./memory.js" as string) as Promise<BenchModule> },
  { name: "p8", load: () => import("./p8-scale.js" as string) as Promise<BenchModule> },
  { name: "p8opt", load: () => import("./p8-optimize.js") },
  { name: "probe", load: () => import("./probe-local.js") },
  { name: "p12", load: () => import("./p12-import.js") },
];

function normalize(row: Loose): Row {
  return {
    measure: row.measure,
    unit: row.unit ?? "",
    ours: row.ours,
    baseline: row.baseline ?? null,
    baselineName: row.baselineName ?? "",
    ratio: row.ratio ?? null,
    goal: row.goal === null || row.goal === undefined ? "" : String(row.goal),
    met: row.met ?? null,
    ...(row.note ? { note: row.note } : {}),
  };
}

// --bridge: the bridge's own bench (P2, P3, P6), ending with P2's one-line JSON summary.
const bridge = process.argv.includes("--bridge");
const args = bridge ? ["p2", "p3", "p6"] : process.argv.slice(2).filter((a) => !a.startsWith("--"));
const json = process.argv.includes("--json");
// report() reads --json from argv too: one JSON array of rows, or the table.
const selected = args.length > 0 ? BENCHES.filter((b) => args.includes(b.name)) : BENCHES;
const rows: Row[] = [];
let p2Summary: unknown;
for (const bench of selected) {
  if (!json) console.error(`running ${bench.name} ...`);
  try {
    const mod = await bench.load();
    if (bench.name === "p2" && mod.measure) {
      const { rows: p2Rows, summary } = await mod.measure();
      p2Summary = summary;
      rows.push(...p2Rows.map(normalize));
    } else {
      rows.push(...(await mod.run()).map(normalize));
    }
  } catch (error) {
    rows.push({
      measure: bench.name.toUpperCase(),
      unit: "",
      ours: Number.NaN,
      baseline: null,
      baselineName: "",
      ratio: null,
      goal: "",
      met: false,
      note: `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    });
  }
}
report(rows);
if (bridge && p2Summary) console.log(JSON.stringify(p2Summary));
process.exit(0);
