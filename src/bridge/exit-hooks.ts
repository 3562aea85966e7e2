/**
 * Process-level guard so no worker outlives Node: on exit, SIGINT, SIGTERM and SIGHUP every live
 * pool kills its workers synchronously. Handlers are installed while at least one pool is open.
 * (SIGKILL of Node cannot be caught: the workers' own guards cover it.)
 */
export interface Killable {
  killNow(): void;
}

const live = new Set<Killable>();
const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killAll(): void {
  for (const pool of live) {
    try {
      pool.killNow();
    } catch {
      // keep going: the others must die too
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  // We replaced Node's default action by listening; if nobody else handles it, restore it.
  if (process.listenerCount(signal) === 1) {
    uninstall();
    process.kill(process.pid, signal);
  }
}

function install(): void {
  process.on("exit", killAll);
  for (const s of signals) process.on(s, onSignal);
}

function uninstall(): void {
  process.off("exit", killAll);
  for (const s of signals) process.off(s, onSignal);
}

export function trackPool(pool: Killable): void {
  if (live.size === 0) install();
  live.add(pool);
}

export function untrackPool(pool: Killable): void {
  if (!live.delete(pool)) return;
  if (live.size === 0) uninstall();
}
