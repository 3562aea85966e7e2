/**
 * One worker process, spawned or forked (see launch.ts): framed I/O on its channel, output
 * lines, and its end. The launcher hands over the pieces as they become available.
 */
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { encodeFrame, FrameDecoder } from "./codec.js";
import type { ExitInfo, Launcher, ProcessHandle, WorkerChannel } from "./launch.js";
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
  launch: Launcher;
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

  private readonly handle: ProcessHandle;
  private processId: number | undefined;
  private channel: WorkerChannel | undefined;
  private readonly outputs: Readable[] = [];
  private stderr: Readable | undefined;
  private readonly decoder: FrameDecoder;
  private readonly stderrTail: string[] = [];
  private killReason: string | undefined;
  private expectedExit = false;
  private corked = false;
  private referenced = true;
  private settleReady!: { resolve: (m: ReadyMsg) => void; reject: (e: Error) => void };
  private stopTimer: NodeJS.Timeout | undefined;
  private pendingExit: { code: number | null; signal: string | null; timer: NodeJS.Timeout } | undefined;
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
    this.handle = opts.launch({
      pid: (pid) => {
        this.processId = pid;
      },
      stdout: (stream) => this.attachOutput(stream, "stdout"),
      stderr: (stream) => this.attachOutput(stream, "stderr"),
      channel: (channel) => this.attachChannel(channel),
      exit: (code, signal, info) => this.onProcessExit(code, signal, info),
      startFailed: (message) => this.finish(null, null, message),
    });
  }

  get pid(): number | undefined {
    return this.processId ?? this.handle?.pid;
  }

  get alive(): boolean {
    return this.state !== "dead";
  }

  send(message: ToPython): void {
    const channel = this.channel;
    if (this.state === "dead" || !channel) return;
    // Frames written in one tick leave in one writev.
    if (!this.corked) {
      this.corked = true;
      channel.toPython.cork();
      process.nextTick(() => {
        this.corked = false;
        channel.toPython.uncork();
      });
    }
    channel.toPython.write(encodeFrame(message, this.opts.maxFrame));
  }

  /** Ends the worker now (SIGKILL to its process group). `reason` becomes part of the crash error. */
  kill(reason: string, expected = false): void {
    if (this.state === "dead") return;
    this.killReason ??= reason;
    this.expectedExit ||= expected;
    this.setReferenced(true); // stay alive until the exit is seen and reported
    this.handle.signal("SIGKILL");
  }

  /** Graceful end: close the channel, which the worker reads as EOF; SIGKILL if it lingers. */
  stop(reason: string, graceMs = 2000): void {
    if (this.state === "dead" || this.state === "stopping") return;
    this.state = "stopping";
    this.killReason ??= reason;
    this.expectedExit = true;
    this.setReferenced(true);
    if (this.channel) this.channel.toPython.end();
    else this.handle.signal("SIGKILL"); // still starting, nothing to say goodbye on
    this.stopTimer = setTimeout(() => this.handle.signal("SIGKILL"), graceMs);
    this.stopTimer.unref();
  }

  /** Synchronous, for process exit handlers. */
  killNow(): void {
    if (this.state !== "dead") this.handle.signal("SIGKILL");
  }

  /** Resident set size in MiB from /proc (Linux); undefined elsewhere or once dead. */
  rssMb(): number | undefined {
    const pid = this.pid;
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
    this.handle.setReferenced(on);
    for (const h of this.streams()) refStream(h, on);
  }

  tail(): string[] {
    return [...this.stderrTail];
  }

  private streams(): Readable[] {
    const out = [...this.outputs];
    if (this.channel) out.push(this.channel.fromPython, this.channel.toPython as unknown as Readable);
    return out;
  }

  private attachChannel(channel: WorkerChannel): void {
    if (this.finished) {
      channel.toPython.destroy();
      channel.fromPython.destroy();
      return;
    }
    this.channel = channel;
    const { toPython, fromPython } = channel;
    toPython.on("error", () => {}); // EPIPE after death: the exit path reports it
    fromPython.on("error", () => {});
    fromPython.on("data", (chunk: Buffer) => this.onData(chunk));
    fromPython.on("end", () => {
      // EOF usually means the process died: let its exit status (the better explanation) arrive first.
      setTimeout(() => {
        if (this.state !== "dead" && this.state !== "stopping") this.kill("the worker closed its channel");
      }, 200).unref();
    });
    if (!this.referenced) {
      refStream(fromPython, false);
      refStream(toPython as unknown as Readable, false);
    }
    if (this.state === "stopping") toPython.end();
  }

  private attachOutput(stream: Readable, name: "stdout" | "stderr"): void {
    this.outputs.push(stream);
    if (name === "stderr") this.stderr = stream;
    if (!this.referenced) refStream(stream, false);
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("error", () => {});
    stream.on("data", (text: string) => {
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) this.line(name, line);
    });
    stream.on("end", () => {
      if (partial) this.line(name, partial);
      partial = "";
      if (name === "stderr" && this.pendingExit) this.finishPending();
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

  private onProcessExit(code: number | null, signal: string | null, info: ExitInfo | undefined): void {
    if (this.finished || this.pendingExit) return;
    if (info?.reason) this.killReason ??= info.reason;
    for (const line of info?.stderrTail ?? []) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > this.opts.stderrLines) this.stderrTail.shift();
    }
    // Let the last stderr lines arrive (they explain most crashes), but never wait long. A forked
    // worker's stderr socket may not even be accepted yet when its exit is reported: wait a bit longer.
    const stderr = this.stderr;
    if (stderr?.readableEnded || (!stderr && info?.reason)) {
      this.finish(code, signal, undefined);
      return;
    }
    const timer = setTimeout(() => this.finishPending(), stderr ? 100 : 500);
    this.pendingExit = { code, signal, timer };
    // It is gone: no new calls while its last words arrive.
    if (this.state === "ready" || this.state === "draining") this.state = "stopping";
  }

  private finishPending(): void {
    const pending = this.pendingExit;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.finish(pending.code, pending.signal, undefined);
  }

  private finish(code: number | null, signal: string | null, spawnError: string | undefined): void {
    if (this.finished) return;
    this.finished = true;
    const wasStarting = this.info === undefined;
    this.state = "dead";
    if (this.stopTimer) clearTimeout(this.stopTimer);
    if (spawnError) this.killReason = spawnError;
    this.channel?.toPython.destroy();
    this.channel?.fromPython.destroy();
    this.handle?.setReferenced(false);
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

function refStream(stream: Readable, on: boolean): void {
  if (stream.destroyed) return; // a closed socket's ref() would wait for a 'connect' forever
  const h = stream as unknown as { ref?: () => void; unref?: () => void };
  (on ? h.ref : h.unref)?.call(h);
}
