/**
 * ProgramOfThought's sandbox has limits, and hitting one ends only the sandbox. Before: a 4 GiB
 * ArrayBuffer reached 4.2 GB RSS, an infinite loop ran to the 120 s call deadline and then the
 * whole worker (and an innocent concurrent call) was killed, a Web Worker started by the code
 * kept Deno alive (DSPy's shutdown waited for it forever), and Deno.exit() was reported as
 * SandboxUnavailableError telling the user to install Deno.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../../src/bridge/index.js";
import { ScriptedLM } from "../../../src/lm/providers/scripted.js";
import { findDeno } from "../../../src/modules/python/deno.js";
import { SandboxError, SandboxLimitError, SandboxUnavailableError } from "../../../src/modules/python/errors.js";
import { ProgramOfThought } from "../../../src/modules/python/program-of-thought.js";
import { context } from "../../../src/runtime/settings.js";
import { collectingLogger, workerPids } from "../../bridge/helpers.js";

const deno = findDeno();
const code = (source: string) => ({ reasoning: "run it", generated_code: `\`\`\`python\n${source}\n\`\`\`` });

/** Pids of Deno processes whose parent is `pid`. */
function denoChildren(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid && readFileSync(`/proc/${name}/cmdline`, "utf8").includes("deno")) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe("ProgramOfThought sandbox limits", { skip: deno ? false : "no Deno binary" }, () => {
  let pool: PythonPool;
  before(async () => {
    pool = await PythonPool.start({
      name: "sandbox",
      size: 1,
      concurrency: 4,
      modules: ["dspex_worker.modules_python"],
      testTools: true,
      logger: collectingLogger(),
    });
  });
  after(() => pool.close());

  it("an endless loop hits the time limit; only the sandbox dies, a concurrent call on the worker succeeds", async () => {
    const [pid] = workerPids(pool);
    const pot = new ProgramOfThought("question -> answer", { pool, timeLimitMs: 2000 });
    const lm = new ScriptedLM([code("while True:\n    pass")]);
    const run = context({ lm }, () => pot.call({ question: "loop" })).catch((e: unknown) => e);
    const innocent = pool.call("sleep", { seconds: 1, value: "innocent" });
    assert.equal(await innocent, "innocent");
    const err = await run;
    assert.ok(err instanceof SandboxLimitError, String(err));
    assert.equal(err.limit, "time");
    assert.match(err.message, /time limit of 2 s/);
    assert.deepEqual(workerPids(pool), [pid]);
    assert.deepEqual(denoChildren(pid!), []);
  });

  it("a huge ArrayBuffer hits the memory limit", async () => {
    const pot = new ProgramOfThought("question -> answer", { pool, memoryLimitMb: 600 });
    const lm = new ScriptedLM([
      code("import js\njs.eval('const a = new Uint8Array(4 * 1024 ** 3); a.fill(1); a.length')"),
    ]);
    const err = await context({ lm }, () => pot.call({ question: "alloc" })).catch((e: unknown) => e);
    assert.ok(err instanceof SandboxLimitError, String(err));
    assert.equal(err.limit, "memory");
    assert.match(err.message, /over its memory limit of 600 MiB/);
  });

  it("Deno.exit() from the code is a SandboxError, not 'install Deno'", async () => {
    const pot = new ProgramOfThought("question -> answer", { pool });
    const lm = new ScriptedLM([code("import js\njs.Deno.exit(3)")]);
    const err = await context({ lm }, () => pot.call({ question: "exit" })).catch((e: unknown) => e);
    assert.ok(err instanceof SandboxError && !(err instanceof SandboxUnavailableError), String(err));
    assert.match(err.message, /exited with code 3/);
  });

  it("a Web Worker started from a data: URL dies with the sandbox", async () => {
    const [pid] = workerPids(pool);
    const pot = new ProgramOfThought("question -> answer", { pool, timeoutMs: 120_000 });
    const lm = new ScriptedLM([
      code(
        "import js\njs.eval(\"new Worker('data:application/javascript,setInterval(()=>{}, 1000)', {type:'module'})\")\nprint('started')",
      ),
      { reasoning: "it started", answer: "started" },
    ]);
    const pred = await context({ lm }, () => pot.call({ question: "spawn a worker" }));
    assert.equal(pred.answer, "started");
    assert.deepEqual(denoChildren(pid!), []);
  });

  it("refuses limits that are not positive numbers", () => {
    assert.throws(() => new ProgramOfThought("q -> a", { pool, timeLimitMs: 0 }), /timeLimitMs/);
    assert.throws(() => new ProgramOfThought("q -> a", { pool, memoryLimitMb: Number.NaN }), /memoryLimitMb/);
  });
});
