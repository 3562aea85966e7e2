/**
 * P12: cold `import("dspex")`, the whole process (node start, import, exit), against Ax's
 * `import("@ax-llm/ax")` timed in the same run, A B A B ..., so that drift hits both alike.
 * Launched by bench/run.mjs, so what is imported is the package as built: the bundled dist/index.js
 * (scripts/bundle.mjs over tsc's output). tsc's unbundled tree (src/index.js) is timed beside it.
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { median, type Row, report } from "./row.js";

const RUNS = Number(process.env.P12_RUNS ?? 11);

function wallMs(url: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(url)})`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`import of ${url} failed: ${r.stderr.toString().slice(0, 400)}`);
  return ms;
}

export async function run(): Promise<Row[]> {
  const ours = new URL("../dist/index.js", import.meta.url).href;
  const tree = new URL("../src/index.js", import.meta.url).href;
  const ax = import.meta.resolve("@ax-llm/ax");
  const a: number[] = [];
  const b: number[] = [];
  const t: number[] = [];
  const ratios: number[] = [];
  // One warm-up each (file cache), not counted.
  wallMs(ours);
  wallMs(ax);
  wallMs(tree);
  for (let i = 0; i < RUNS; i++) {
    const x = wallMs(ours);
    const y = wallMs(ax);
    t.push(wallMs(tree));
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  const ratio = median(ratios);
  return [
    {
      measure: "P12",
      unit: "ms, whole process (bundled dist)",
      ours: median(a),
      baseline: median(b),
      baselineName: "Ax 24.0.21 import",
      ratio,
      goal: "<= Ax's",
      met: ratio <= 1,
      note: `median of ${RUNS} pairs; ours ${Math.min(...a).toFixed(0)}..${Math.max(...a).toFixed(0)} ms, Ax ${Math.min(...b).toFixed(0)}..${Math.max(...b).toFixed(0)} ms; ratio is the median of per-pair ratios; tsc's unbundled tree ${median(t).toFixed(0)} ms (${(median(t) / median(b)).toFixed(2)}x Ax)`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  report(await run());
}
