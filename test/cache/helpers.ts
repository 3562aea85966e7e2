import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LMResponse } from "../../src/lm/types.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

export const response = (text: string, model = "m"): LMResponse => ({
  outputs: [text],
  usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
  model,
  cached: false,
});

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "dspex-cache-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the next stdout line (rejects if the child exits first). */
  nextLine(): Promise<string>;
  /** Closes stdin and waits for the exit code. */
  end(): Promise<number | null>;
}

/** Runs one of test/cache/children/*.ts in its own Node process, with tsx. */
export function spawnChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", join(here, "children", script), ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const lines: Interface = createInterface({ input: proc.stdout });
  const queue: string[] = [];
  const waiters: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  lines.on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter === undefined) queue.push(line);
    else waiter.resolve(line);
  });
  void exited.then((code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited (${code}) early: ${stderr}`));
  });
  return {
    process: proc,
    nextLine: () => {
      const line = queue.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (proc.exitCode !== null) return Promise.reject(new Error(`${script} exited early: ${stderr}`));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    end: async () => {
      proc.stdin.end();
      return exited;
    },
  };
}

/** A logger that records warnings instead of printing them. */
export function recordingLogger(): { warnings: string[]; warn(message: string): void } {
  const warnings: string[] = [];
  return { warnings, warn: (message: string) => warnings.push(message) };
}
