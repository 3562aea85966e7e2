import { readFileSync } from "node:fs";
import type { BridgeLogger } from "../../src/bridge/index.js";
import { type PoolOptions, PythonPool } from "../../src/bridge/index.js";

export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps lines for assertions instead of printing them. */
export function collectingLogger(): BridgeLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Workers without DSPy (fast start) but with the misbehaving test tools. */
export function startPlain(options: PoolOptions = {}): Promise<PythonPool> {
  return PythonPool.start({ importDspy: false, testTools: true, logger: collectingLogger(), ...options });
}

/** True while `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds or `ms` pass; returns whether it held. */
export async function waitFor(check: () => boolean, ms: number, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(every);
  }
  return check();
}

export function workerPids(pool: PythonPool): number[] {
  return pool
    .stats()
    .workers.map((w) => w.pid)
    .filter((p): p is number => p !== undefined);
}
