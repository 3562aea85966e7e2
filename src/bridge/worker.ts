/** One `python -m dspex_worker` child: spawning, framed I/O on fd 3/4, output lines, and its end. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { encodeFrame, FrameDecoder } from "./codec.js";
import type { BridgeLogger } from "./logger.js";
import type { FromPython, ReadyMsg, ToPython } from "./messages.js";

export type WorkerState = "starting" | "ready" | "draining" | "stopping" | "dead";

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  /** Set when we ended it on purpose (stop, recycle) or for a fault we detected (bad frame, deadline). */
  reason: string | undefined;
  /** True for stop()/recycling: not a crash. */
  expected: boolean;
  /** The interpreter could not be started at all (missing file, not executable): restarting won't help. */
  spawnFailed: boolean;
  stderrTail: string[];
}

export interface WorkerOptions {
  id: string;
  python: string;
  env: NodeJS.ProcessEnv;
  maxFrame: number;
  stderrLines: number;
  logger: BridgeLogger;
  onMessage: (worker: WorkerProcess<unknown>, message: FromPython) => void;
  onExit: (worker: WorkerProcess<unknown>, exit: WorkerExit) => void;
}

export class WorkerProcess<T = unknown> {
  readonly id: string;
  state: WorkerState = "starting";
  info: ReadyMsg | undefined;
  /** Calls sent to this worker and not yet answered (including cancelled ones awaiting their answer). */
  readonly inflight = new Map<number, T>();
  completed = 0;
  sessions = 0;
  lastHeartbeat = Date.now();
  lastRssCheck = 0;
  readonly ready: Promise<ReadyMsg>;
  readonly exited: Promise<WorkerExit>;

  private readonly child: ChildProcess;
  private readonly toPython: Writable;
  private readonly fromPython: Readable;
  private readonly decoder: FrameDecoder;
  private readonly stderrTail: string[] = [];
  private killReason: string | undefined;
  private expectedExit = false;
  private corked = false;
  private referenced = true;
  private settleReady!: { resolve: (m: ReadyMsg) => void; reject: (e: Error) => void };
  private stopTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private settleExited!: (exit: WorkerExit) => void;

  constructor(private readonly opts: WorkerOptions) {
    this.id = opts.id;
    this.decoder = new FrameDecoder(opts.maxFrame);
    this.ready = new Promise<ReadyMsg>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    this.ready.catch(() => {}); // observed through onExit as well
    this.exited = new Promise<WorkerExit>((resolve) => {
      this.settleExited = resolve;
    });
    // detached: own process group, so kill(-pid) also takes anything the worker spawned.
    this.child = spawn(opts.python, ["-m", "dspex_worker"], {
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    this.toPython = this.child.stdio[3] as Writable;
    this.fromPython = this.child.stdio[4] as Readable;
    this.child.on("error", (err) => this.finish(null, null, `cannot start ${opts.python}: ${err.message}`));
    this.child.on("exit", (code, signal) => this.onChildExit(code, signal));
    this.toPython.on("error", () => {}); // EPIPE after death: the exit path reports it
    this.fromPython.on("error", () => {});
    this.fromPython.on("data", (chunk: Buffer) => this.onData(chunk));
    this.fromPython.on("end", () => {
      // EOF usually means the process died: let its exit status (the better explanation) arrive first.
      setTimeout(() => {
        if (this.state !== "dead" && this.state !== "stopping") this.kill("the worker closed its channel");
      }, 200).unref();
    });
    this.lines(this.child.stdout!, "stdout");
    this.lines(this.child.stderr!, "stderr");
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.state !== "dead";
  }

  send(message: ToPython): void {
    if (this.state === "dead") return;
    // Frames written in one tick leave in one writev.
    if (!this.corked) {
      this.corked = true;
      this.toPython.cork();
      process.nextTick(() => {
        this.corked = false;
        this.toPython.uncork();
      });
    }
    this.toPython.write(encodeFrame(message, this.opts.maxFrame));
  }

  /** Ends the worker now (SIGKILL to its process group). `reason` becomes part of the crash error. */
  kill(reason: string, expected = false): void {
    if (this.state === "dead") return;
    this.killReason ??= reason;
    this.expectedExit ||= expected;
    this.setReferenced(true); // stay alive until the exit is seen and reported
    this.signalGroup("SIGKILL");
  }

  /** Graceful end: close fd 3, which the worker reads as EOF; SIGKILL if it lingers. */
  stop(reason: string, graceMs = 2000): void {
    if (this.state === "dead" || this.state === "stopping") return;
    this.state = "stopping";
    this.killReason ??= reason;
    this.expectedExit = true;
    this.setReferenced(true);
    this.toPython.end();
    this.stopTimer = setTimeout(() => this.signalGroup("SIGKILL"), graceMs);
    this.stopTimer.unref();
  }

  /** Synchronous, for process exit handlers. */
  killNow(): void {
    if (this.state !== "dead") this.signalGroup("SIGKILL");
  }

  /** Resident set size in MiB from /proc (Linux); undefined elsewhere or once dead. */
  rssMb(): number | undefined {
    const pid = this.child.pid;
    if (pid === undefined || this.state === "dead") return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Idle workers don't keep Node's event loop alive; busy ones do. */
  setReferenced(on: boolean): void {
    if (on === this.referenced || this.state === "dead") return;
    // Once we are ending it, the worker must keep the loop alive until its exit is reported.
    if (!on && (this.state === "stopping" || this.killReason !== undefined)) return;
    this.referenced = on;
    const handles = [this.child, this.toPython, this.fromPython, this.child.stdout, this.child.stderr] as unknown as {
      ref?: () => void;
      unref?: () => void;
    }[];
    for (const h of handles) (on ? h.ref : h.unref)?.call(h);
  }

  tail(): string[] {
    return [...this.stderrTail];
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  private onData(chunk: Buffer): void {
    let messages: FromPython[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      this.kill(`protocol error: ${(err as Error).message}`);
      return;
    }
    for (const m of messages) {
      if (this.state === "dead") return;
      if (m.k === "ready" && this.state === "starting") {
        this.info = m;
        this.state = "ready";
        this.settleReady.resolve(m);
        continue;
      }
      if (m.k === "hb") this.lastHeartbeat = Date.now();
      this.opts.onMessage(this as WorkerProcess<unknown>, m);
    }
  }

  private lines(stream: Readable, name: "stdout" | "stderr"): void {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (text: string) => {
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) this.line(name, line);
    });
    stream.on("end", () => {
      if (partial) this.line(name, partial);
      partial = "";
    });
  }

  private line(name: "stdout" | "stderr", line: string): void {
    const fields = { worker: this.id, stream: name };
    if (name === "stderr") {
      this.stderrTail.push(line);
      if (this.stderrTail.length > this.opts.stderrLines) this.stderrTail.shift();
      this.opts.logger.warn(line, fields);
    } else {
      this.opts.logger.info(line, fields);
    }
  }

  private onChildExit(code: number | null, signal: string | null): void {
    // Let the last stderr lines arrive (they explain most crashes), but never wait long.
    const stderr = this.child.stderr;
    if (!stderr || stderr.readableEnded) {
      this.finish(code, signal, undefined);
      return;
    }
    const timer = setTimeout(() => this.finish(code, signal, undefined), 100);
    stderr.once("end", () => {
      clearTimeout(timer);
      this.finish(code, signal, undefined);
    });
  }

  private finish(code: number | null, signal: string | null, spawnError: string | undefined): void {
    if (this.finished) return;
    this.finished = true;
    const wasStarting = this.info === undefined;
    this.state = "dead";
    if (this.stopTimer) clearTimeout(this.stopTimer);
    if (spawnError) this.killReason = spawnError;
    this.toPython.destroy();
    this.fromPython.destroy();
    const exit: WorkerExit = {
      code,
      signal,
      reason: this.killReason,
      expected: this.expectedExit,
      spawnFailed: spawnError !== undefined,
      stderrTail: this.tail(),
    };
    if (wasStarting) {
      const how = exit.reason ?? `exited before ready (code ${code}, signal ${signal})`;
      const tail = exit.stderrTail.length ? `; last stderr: ${exit.stderrTail.slice(-5).join(" | ")}` : "";
      this.settleReady.reject(new Error(how + tail));
    }
    this.opts.onExit(this as WorkerProcess<unknown>, exit);
    this.settleExited(exit);
  }
}
