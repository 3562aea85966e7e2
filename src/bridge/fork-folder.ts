/**
 * The private folder holding a fork server's Unix socket: mode 0700 (only this user can connect),
 * named after the Node pid that owns it so folders left by dead processes can be swept.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "dspex-fork-";

/** Sweeps stale folders, then creates this process's new one. */
export function makeSocketFolder(): string {
  sweepStaleFolders();
  return mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
}

/**
 * Removes socket folders left by Node processes that no longer run (the fork server removes its
 * folder when Node dies, but a SIGKILL of both leaves it). Only our own, only when the pid is gone.
 */
function sweepStaleFolders(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = /^dspex-fork-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const path = join(tmpdir(), name);
    try {
      if (uid !== undefined && statSync(path).uid !== uid) continue;
      process.kill(Number(m[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(path, { recursive: true, force: true });
    }
  }
}
