import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { processAlive, waitFor } from "./helpers.js";

const child = join(import.meta.dirname, "orphan-child.ts");

type StartMode = "spawn" | "fork";

/**
 * Starts the child script, returns it and the pids of its Python processes (workers, then the
 * fork server in fork mode) once the pool is up.
 */
async function startChild(mode: string, startMode: StartMode) {
  const proc = spawn(process.execPath, ["--import", "tsx", child, mode], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DSPEX_START_MODE: startMode },
  });
  let out = "";
  let err = "";
  proc.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  let socket: string | null = null;
  const pids = await new Promise<number[]>((resolve, reject) => {
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (!out.includes("\n") || !line) return;
      const started = JSON.parse(line) as { pids: number[]; forkServer: number | null; socket: string | null };
      socket = started.socket;
      assert.equal(started.pids.length, 2);
      assert.equal(started.forkServer !== null, startMode === "fork", `fork server in ${startMode} mode`);
      resolve(started.forkServer === null ? started.pids : [...started.pids, started.forkServer]);
    });
    proc.once("exit", (code) => reject(new Error(`child exited (${code}) before its pool was up: ${err}`)));
  });
  // In the other modes the child may already be ending by the time we read its line.
  if (mode === "wait") for (const pid of pids) assert.ok(processAlive(pid), `worker ${pid} runs`);
  return { proc, pids, socket };
}

/** Every Python process is gone within `withinMs`, and so is the fork server's socket folder. */
async function assertWorkersGone(
  { pids, socket }: { pids: number[]; socket: string | null },
  withinMs: number,
): Promise<void> {
  const start = Date.now();
  const gone = await waitFor(() => pids.every((p) => !processAlive(p)), withinMs);
  assert.ok(gone, `workers still alive after ${Date.now() - start} ms: ${pids.filter(processAlive).join(", ")}`);
  if (socket) {
    const folder = dirname(socket);
    assert.ok(await waitFor(() => !existsSync(folder), withinMs), `socket folder ${folder} removed`);
  }
}

for (const startMode of ["fork", "spawn"] as const) {
  describe(`no orphans (${startMode} mode)`, () => {
    it("SIGKILL of the Node parent leaves no dspex_worker within 2 s", async () => {
      const started = await startChild("wait", startMode);
      const exited = once(started.proc, "exit");
      started.proc.kill("SIGKILL");
      await exited;
      await assertWorkersGone(started, 2000);
    });

    it("SIGTERM of the Node parent stops every worker", async () => {
      const started = await startChild("wait", startMode);
      const exited = once(started.proc, "exit");
      started.proc.kill("SIGTERM");
      const [code, signal] = (await exited) as [number | null, string | null];
      assert.equal(signal, "SIGTERM", `the default action still ends the process (code ${code})`);
      await assertWorkersGone(started, 2000);
    });

    it("process.exit() without close() stops every worker", async () => {
      const started = await startChild("exit", startMode);
      await once(started.proc, "exit");
      await assertWorkersGone(started, 2000);
    });

    it("an uncaught exception stops every worker", async () => {
      const started = await startChild("throw", startMode);
      await once(started.proc, "exit");
      await assertWorkersGone(started, 2000);
    });

    it("pool.close() stops every worker and lets the process exit by itself", async () => {
      const started = await startChild("close", startMode);
      const [code] = (await once(started.proc, "exit")) as [number | null];
      assert.equal(code, 0);
      await assertWorkersGone(started, 2000);
    });
  });
}
