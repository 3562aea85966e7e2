/**
 * A pool's fork server: one `python -m dspex_worker.zygote` that imports DSPy and the pool's
 * tools once and forks each worker from there, so N workers cost about one import instead of N
 * CPU-bound imports on the same cores (bench P6).
 *
 * A forked worker is not Node's child, so it cannot inherit pipes from Node. Instead Node
 * listens on a Unix socket in a private (0700) temporary folder; each fork request carries a
 * random token, and the child connects three times (stderr, stdout, channel), each connection
 * opening with a 48-byte hello: token, stream letter, pid. Frames on the channel are the same as
 * on a spawned worker's fd 3/4. The zygote reports each child's pid and exit status (only it can
 * wait for them). If the zygote dies, its children die with it (parent-death signal) and are
 * reported as crashed; the next worker start launches a new zygote. If the zygote turns out to
 * have threads (a module started one at import), forking is unsafe and workers are spawned instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { encodeFrame, FrameDecoder } from "./codec.js";
import { makeSocketFolder } from "./fork-folder.js";
import { type LaunchEvents, type Launcher, type ProcessHandle, signalGroup } from "./launch.js";
import type { BridgeLogger } from "./logger.js";
import type { FromZygote } from "./messages.js";

const HELLO_BYTES = 48;
const TOKEN_CHARS = 32;

export interface ForkServerOptions {
  /** Logger id of the zygote's own output, e.g. `modules#fork-server`. */
  id: string;
  python: string;
  env: NodeJS.ProcessEnv;
  stderrLines: number;
  logger: BridgeLogger;
  /** How to start a worker when forking is unsafe. */
  fallback: Launcher;
}

/** One forked worker as the pool sees it: pid, streams and exit arrive from the zygote and the socket. */
class ForkedHandle implements ProcessHandle {
  pid: number | undefined;
  held = true;
  done = false;
  delegate: ProcessHandle | undefined;
  readonly streams = new Set<string>();

  constructor(
    readonly token: string,
    readonly events: LaunchEvents,
    readonly zygote: Zygote,
    private readonly server: ForkServer,
  ) {}

  signal(signal: NodeJS.Signals): void {
    if (this.delegate) this.delegate.signal(signal);
    else if (this.done) return;
    else if (this.pid !== undefined) signalGroup(this.pid, signal);
    else this.server.cancel(this, signal);
  }

  setReferenced(on: boolean): void {
    this.delegate?.setReferenced(on);
    if (on !== this.held) {
      this.held = on;
      this.server.hold(on ? 1 : -1);
    }
  }
}

/** One incarnation of the zygote process. */
interface Zygote {
  child: ChildProcess;
  pid: number | undefined;
  ready: boolean;
  dead: boolean;
  /** We ended it on purpose (forking proved unsafe): its exit is no news. */
  retired: boolean;
  toZygote: Writable;
  fromZygote: Readable;
  tail: string[];
  handles: Set<ForkedHandle>;
  exited: Promise<void>;
}

export class ForkServer {
  private readonly dir: string;
  readonly socketPath: string;
  private readonly server: Server;
  private zygote: Zygote | undefined;
  private readonly byToken = new Map<string, ForkedHandle>();
  private readonly byPid = new Map<number, ForkedHandle>();
  private holds = 0;
  private unsafe = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private zygoteSeq = 0;

  constructor(private readonly opts: ForkServerOptions) {
    this.dir = makeSocketFolder();
    this.socketPath = join(this.dir, "fork.sock");
    this.server = createServer((socket) => this.onConnection(socket));
    this.server.on("error", (err) => this.opts.logger.error(`fork server socket: ${err.message}`, { worker: opts.id }));
    // A pipe server binds synchronously; children connect only after the zygote's imports anyway.
    this.server.listen(this.socketPath);
    this.server.unref();
  }

  /** The zygote's pid while it runs. */
  get pid(): number | undefined {
    const z = this.zygote;
    return z && !z.dead ? z.pid : undefined;
  }

  /** Whether workers are really forked (false once forking proved unsafe). */
  get forking(): boolean {
    return !this.unsafe;
  }

  readonly launch: Launcher = (events) => {
    if (this.unsafe || this.closed) return this.opts.fallback(events);
    const zygote = this.ensureZygote();
    const token = randomBytes(TOKEN_CHARS / 2).toString("hex");
    const handle = new ForkedHandle(token, events, zygote, this);
    this.byToken.set(token, handle);
    zygote.handles.add(handle);
    this.hold(1);
    zygote.toZygote.write(encodeFrame({ k: "fork", token, path: this.socketPath }));
    return handle;
  };

  /** Starts the zygote now (it imports DSPy and the tools) instead of at the first fork. */
  warm(): void {
    if (!this.unsafe && !this.closed) this.ensureZygote();
  }

  /** Stops the zygote (its remaining children die with it) and removes the socket. */
  close(graceMs = 1000): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closed = true;
    const z = this.zygote;
    if (z && !z.dead) {
      z.child.ref();
      // The zygote kills its children and exits. (EOF alone would mean that Node died.)
      z.toZygote.end(encodeFrame({ k: "close" }));
      const timer = setTimeout(() => this.killZygote(z), graceMs);
      await z.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous, for process exit handlers: SIGKILL the zygote and every worker it forked. */
  killNow(): void {
    this.closed = true;
    for (const h of this.byPid.values()) signalGroup(h.pid!, "SIGKILL");
    if (this.zygote && !this.zygote.dead) this.killZygote(this.zygote);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A worker given up before the zygote said which pid it forked: report it gone now; its child is killed on arrival. */
  cancel(h: ForkedHandle, signal: NodeJS.Signals): void {
    this.forget(h);
    setImmediate(() => h.events.exit(null, signal));
  }

  hold(delta: number): void {
    this.holds += delta;
    const on = this.holds > 0;
    const z = this.zygote && !this.zygote.dead ? this.zygote : undefined;
    // (ref() on a destroyed socket would queue a listener for a 'connect' that never comes)
    const handles = [this.server, z?.child, z?.fromZygote, z?.toZygote, z?.child.stdout, z?.child.stderr];
    for (const h of handles as ({ ref?: () => void; unref?: () => void; destroyed?: boolean } | undefined | null)[]) {
      if (h && !h.destroyed) (on ? h.ref : h.unref)?.call(h);
    }
  }

  private ensureZygote(): Zygote {
    if (this.zygote && !this.zygote.dead) return this.zygote;
    const child = spawn(this.opts.python, ["-m", "dspex_worker.zygote"], {
      env: this.opts.env,
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
    });
    let exited!: () => void;
    const z: Zygote = {
      exited: new Promise<void>((resolve) => {
        exited = resolve;
      }),
      child,
      pid: child.pid,
      ready: false,
      dead: false,
      retired: false,
      toZygote: child.stdio[3] as Writable,
      fromZygote: child.stdio[4] as Readable,
      tail: [],
      handles: new Set(),
    };
    this.zygote = z;
    const id = `${this.opts.id}${++this.zygoteSeq > 1 ? `-${this.zygoteSeq}` : ""}`;
    const decoder = new FrameDecoder<FromZygote>();
    z.toZygote.on("error", () => {});
    z.fromZygote.on("error", () => {});
    z.fromZygote.on("data", (chunk: Buffer) => {
      let messages: FromZygote[];
      try {
        messages = decoder.push(chunk);
      } catch (err) {
        this.opts.logger.error(`fork server protocol error: ${(err as Error).message}`, { worker: id });
        this.killZygote(z);
        return;
      }
      for (const m of messages) this.onZygoteMessage(z, m, id);
    });
    this.lines(z, child.stdout!, id, false);
    this.lines(z, child.stderr!, id, true);
    child.on("error", (err) => {
      exited();
      this.onZygoteGone(z, { startFailed: `cannot start ${this.opts.python}: ${err.message}` });
    });
    child.on("exit", (code, signal) => {
      exited();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      // Let its last stderr lines arrive: they explain why its workers never started.
      const stderr = child.stderr;
      if (!stderr || stderr.readableEnded) this.onZygoteGone(z, { how });
      else {
        const timer = setTimeout(() => this.onZygoteGone(z, { how }), 100);
        stderr.once("end", () => {
          clearTimeout(timer);
          this.onZygoteGone(z, { how });
        });
      }
    });
    if (this.holds <= 0) this.hold(0);
    return z;
  }

  private onZygoteMessage(z: Zygote, m: FromZygote, id: string): void {
    switch (m.k) {
      case "ready": {
        z.ready = true;
        this.opts.logger.debug(
          `fork server ready: pid ${m.pid}, python ${m.python}, dspy ${m.dspy ?? "not imported"}, ${m.threads} thread(s)`,
          { worker: id },
        );
        if (m.preloadError) {
          this.opts.logger.debug(`fork server could not preload (${m.preloadError}); workers will report it`, {
            worker: id,
          });
        }
        return;
      }
      case "forked": {
        const h = this.byToken.get(m.token);
        if (!h || h.done) {
          signalGroup(m.pid, "SIGKILL"); // its worker was given up while the zygote was busy
          return;
        }
        this.setPid(h, m.pid);
        return;
      }
      case "fork_error": {
        const h = this.byToken.get(m.token);
        if (!this.unsafe) {
          this.unsafe = true;
          this.opts.logger.warn(`cannot fork workers (${m.message}); spawning them instead`, { worker: id });
        }
        if (h && !h.done) {
          this.forget(h);
          h.delegate = this.opts.fallback(h.events);
          if (!h.held) h.delegate.setReferenced(false);
        }
        if (z.handles.size === 0 && !z.retired) {
          z.retired = true; // nothing of ours runs in it, and nothing will
          z.toZygote.end(encodeFrame({ k: "close" }));
        }
        return;
      }
      case "exit": {
        const h = this.byPid.get(m.pid);
        if (!h || h.done) return;
        this.forget(h);
        h.events.exit(m.code, m.signal);
        return;
      }
    }
  }

  private setPid(h: ForkedHandle, pid: number): void {
    if (h.pid !== undefined) return;
    h.pid = pid;
    this.byPid.set(pid, h);
    h.events.pid(pid);
  }

  /** The handle is settled from our side: no more events except through a delegate. */
  private forget(h: ForkedHandle): void {
    h.done = true;
    this.byToken.delete(h.token);
    if (h.pid !== undefined) this.byPid.delete(h.pid);
    h.zygote.handles.delete(h);
  }

  private onZygoteGone(z: Zygote, how: { how?: string; startFailed?: string }): void {
    if (z.dead) return;
    z.dead = true;
    z.toZygote.destroy();
    z.fromZygote.destroy();
    if (!this.closed && !z.retired && how.how) this.opts.logger.warn(`fork server (pid ${z.pid}) ${how.how}`);
    for (const h of [...z.handles]) {
      this.forget(h);
      if (how.startFailed) {
        h.events.startFailed(how.startFailed);
        continue;
      }
      // Its children got SIGKILL from the kernel when it died; make sure of it.
      if (h.pid !== undefined) signalGroup(h.pid, "SIGKILL");
      const reason = this.closed
        ? "its fork server was closed"
        : `its fork server (pid ${z.pid}) ${how.how}${h.pid === undefined ? " before forking it" : ""}`;
      h.events.exit(null, h.pid === undefined ? null : "SIGKILL", { reason, stderrTail: z.tail });
    }
  }

  private killZygote(z: Zygote): void {
    if (z.pid !== undefined) signalGroup(z.pid, "SIGKILL");
  }

  private onConnection(socket: Socket): void {
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), 10_000);
    timer.unref();
    const onReadable = () => {
      const head = socket.read(HELLO_BYTES) as Buffer | null;
      if (head === null) return;
      socket.off("readable", onReadable);
      clearTimeout(timer);
      this.accept(socket, head.toString("latin1"));
    };
    socket.on("readable", onReadable);
    socket.once("end", () => clearTimeout(timer));
  }

  private accept(socket: Socket, hello: string): void {
    const token = hello.slice(0, TOKEN_CHARS);
    const stream = hello.slice(TOKEN_CHARS, TOKEN_CHARS + 1);
    const pid = Number(hello.slice(TOKEN_CHARS + 1));
    const h = this.byToken.get(token);
    if (!h || h.done || h.streams.has(stream) || !Number.isInteger(pid) || (h.pid !== undefined && h.pid !== pid)) {
      socket.destroy();
      return;
    }
    h.streams.add(stream);
    this.setPid(h, pid);
    if (stream === "e") h.events.stderr(socket);
    else if (stream === "o") h.events.stdout(socket);
    else if (stream === "c") h.events.channel({ toPython: socket, fromPython: socket });
    else socket.destroy();
  }

  private lines(z: Zygote, stream: Readable, id: string, isErr: boolean): void {
    let partial = "";
    stream.setEncoding("utf8");
    const line = (text: string) => {
      if (isErr) {
        z.tail.push(text);
        if (z.tail.length > this.opts.stderrLines) z.tail.shift();
        this.opts.logger.warn(text, { worker: id, stream: "stderr" });
      } else this.opts.logger.info(text, { worker: id, stream: "stdout" });
    };
    stream.on("data", (text: string) => {
      const parts = (partial + text).split("\n");
      partial = parts.pop() ?? "";
      for (const l of parts) line(l);
    });
    stream.on("end", () => {
      if (partial) line(partial);
      partial = "";
    });
  }
}
