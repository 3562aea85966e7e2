/**
 * How a worker process comes to be: spawned by Node (`python -m dspex_worker`, channel on fds
 * 3/4) or forked by the pool's fork server (see fork-server.ts). Either way the worker gets the
 * same pieces, possibly at different times: its stderr, its stdout, its framed channel, its pid
 * and finally its exit.
 */
import { spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";

export interface WorkerChannel {
  toPython: Writable;
  fromPython: Readable;
}

export interface ExitInfo {
  /** Why it ended when the process itself could not say (its fork server died, for one). */
  reason?: string;
  /** Extra lines explaining it (the fork server's stderr). */
  stderrTail?: string[];
}

/** What a launcher reports about the process it starts. Calls may come in any order, except exit/error last. */
export interface LaunchEvents {
  pid(pid: number): void;
  stdout(stream: Readable): void;
  stderr(stream: Readable): void;
  channel(channel: WorkerChannel): void;
  exit(code: number | null, signal: string | null, info?: ExitInfo): void;
  /** The process could not be started at all (no such interpreter): restarting won't help. */
  startFailed(message: string): void;
}

export interface ProcessHandle {
  readonly pid: number | undefined;
  /** Signal the worker's process group (it leads its own), or the process if that fails. */
  signal(signal: NodeJS.Signals): void;
  /** Whether this handle may keep Node's event loop alive (the streams are ref'd separately). */
  setReferenced(on: boolean): void;
}

export type Launcher = (events: LaunchEvents) => ProcessHandle;

export type StartMode = "spawn" | "fork";

/** Sends `signal` to the process group led by `pid`, or to the process alone if there is no such group yet. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** `python -m <module>` with the channel on fds 3 (to Python) and 4 (from Python). */
export function spawnLauncher(python: string, env: NodeJS.ProcessEnv, module = "dspex_worker"): Launcher {
  return (events) => {
    // detached: own process group, so kill(-pid) also takes anything the worker spawned.
    const child = spawn(python, ["-m", module], {
      env,
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    let exited = false;
    child.on("error", (err) => {
      if (!exited) events.startFailed(`cannot start ${python}: ${err.message}`);
      exited = true;
    });
    child.on("exit", (code, signal) => {
      if (!exited) events.exit(code, signal);
      exited = true;
    });
    if (child.pid !== undefined) events.pid(child.pid);
    events.stdout(child.stdout!);
    events.stderr(child.stderr!);
    events.channel({ toPython: child.stdio[3] as Writable, fromPython: child.stdio[4] as Readable });
    return {
      get pid() {
        return child.pid;
      },
      signal(signal) {
        if (child.pid === undefined || exited) return;
        signalGroup(child.pid, signal);
      },
      setReferenced(on) {
        if (on) child.ref();
        else child.unref();
      },
    };
  };
}
