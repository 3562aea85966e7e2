/**
 * P3: the latency an LM call made from Python adds over the same call made in Node directly.
 * The LM lives in Node and answers at once, so what is measured is the bridge: NodeLM.forward
 * in the worker -> cb_call frame -> Node's `lm` callback -> LM.generate -> cb_result -> an
 * OpenAI-shaped response in Python. Timed inside Python (perf_counter) per call. DSPy's own
 * `lm(...)` path (history, usage tracking) is reported beside it, and the bare hand-off (a callback
 * Node answers synchronously, no LM) with the worker's and Node's CPU time per round trip, which,
 * unlike wall time, hardly depends on how busy the machine's other processes are. Goal (issue 18):
 * <= 120 µs added.
 *
 *   npx tsx bench/p3-callback.ts
 */
import { pathToFileURL } from "node:url";
import { PythonPool, silentLogger } from "../src/bridge/index.js";
import type { LM, LMRequest, LMResponse } from "../src/lm/types.js";
import { median, percentile, type Row, report } from "./row.js";

const ANSWER = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]";

/** An LM that answers immediately, so only the path to it is timed. */
const instantLM: LM = {
  specificationVersion: "v1",
  provider: "bench",
  model: "instant",
  async generate(request: LMRequest): Promise<LMResponse> {
    return {
      outputs: [ANSWER],
      usage: { promptTokens: request.messages.length, completionTokens: 5, totalTokens: request.messages.length + 5 },
      model: "instant",
      cached: false,
    };
  },
  async *stream() {},
};

const messages = [
  {
    role: "system",
    content: "Your input fields are:\n1. `question` (str):\nYour output fields are:\n1. `answer` (str):",
  },
  { role: "user", content: "[[ ## question ## ]]\nWhat is the capital of France?" },
] as const;

async function direct(n: number): Promise<number[]> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await instantLM.generate({ messages: messages.map((m) => ({ ...m })) });
    us.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return us;
}

export async function run(options: { runs?: number; n?: number } = {}): Promise<Row[]> {
  const runs = options.runs ?? 5;
  const n = options.n ?? 1000;
  const pool = await PythonPool.start({ name: "p3", size: 1, testTools: true, lm: instantLM, logger: silentLogger });
  const fwd: number[] = [];
  const call: number[] = [];
  const fwdP99: number[] = [];
  const node: number[] = [];
  const bare: number[] = [];
  const pyCpu: number[] = [];
  const nodeCpu: number[] = [];
  pool.registerCallback("noop", () => null);
  try {
    await pool.call("lm_roundtrip", { n: 200, messages });
    await direct(1000);
    for (let r = 0; r < runs; r++) {
      const t = await pool.call<{ forward: number[]; call: number[] }>("lm_roundtrip", { n, messages });
      fwd.push(median(t.forward));
      fwdP99.push(percentile(t.forward, 99));
      call.push(median(t.call));
      node.push(median(await direct(n)));
      const cpu0 = process.cpuUsage();
      const b = await pool.call<{ total: number[]; cpu: number[] }>("cb_roundtrip", { n, name: "noop" });
      const cpu = process.cpuUsage(cpu0);
      bare.push(median(b.total));
      pyCpu.push(b.cpu[0] ?? Number.NaN);
      nodeCpu.push((cpu.user + cpu.system) / n);
    }
  } finally {
    await pool.close();
  }
  const nodeUs = median(node);
  const added = median(fwd) - nodeUs;
  const addedFull = median(call) - nodeUs;
  return [
    {
      measure: "P3 LM call added by the bridge (forward)",
      unit: "µs p50",
      ours: added,
      baseline: nodeUs,
      baselineName: "same LM.generate called in Node",
      ratio: null,
      goal: "<= 120 µs added",
      met: added <= 120,
      note: `Python-side p50 ${median(fwd).toFixed(1)} µs, p99 ${median(fwdP99).toFixed(0)} µs; Node direct p50 ${nodeUs.toFixed(2)} µs; median of ${runs} runs x ${n}`,
    },
    {
      measure: "P3 LM call added, DSPy lm(...) path",
      unit: "µs p50",
      ours: addedFull,
      baseline: nodeUs,
      baselineName: "same LM.generate called in Node",
      ratio: null,
      goal: "-",
      met: null,
      note: "includes DSPy's own per-call work (history entry, usage tracking, output processing)",
    },
    {
      measure: "P3 bare callback round trip (no LM)",
      unit: "µs p50",
      ours: median(bare),
      baseline: null,
      baselineName: "",
      ratio: null,
      goal: "-",
      met: null,
      note: `CPU per round trip: worker ${median(pyCpu).toFixed(1)} µs (reader and caller threads), Node ${median(nodeCpu).toFixed(1)} µs`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await run());
}
