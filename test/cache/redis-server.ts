import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";

export interface RedisServer {
  port: number;
  /** The redis-server process (benches read its CPU time). */
  pid: number | undefined;
  url: string;
  stop(): Promise<void>;
}

/** True when a redis-server binary is on PATH (Debian/Ubuntu: apt-get install -y redis-server). */
export function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway redis-server on a free loopback port, without persistence. Redis cannot
 * bind port 0 itself (0 turns TCP off), so a port is picked first; the rare race with another
 * process taking it is covered by retrying.
 */
export interface RedisServerOptions {
  /** Listen on this port (to restart a stopped server where its clients expect it). */
  port?: number;
  /** Persist to an append-only file in this folder (fsync on every write), so a restart keeps the data. */
  dir?: string;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (options.port !== undefined) return launch(options.port, options.dir);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, options.dir);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function launch(port: number, dir?: string): Promise<RedisServer> {
  const persistence =
    dir === undefined ? ["--appendonly", "no"] : ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"];
  const proc: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--daemonize", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        proc.stdout?.off("data", onData);
        proc.stdout?.resume();
        resolve({
          port,
          pid: proc.pid,
          url: `redis://127.0.0.1:${port}`,
          stop: async () => {
            if (proc.exitCode === null) proc.kill("SIGTERM");
            await exited;
          },
        });
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => reject(new Error(`redis-server exited on port ${port}: ${output}`)));
  });
}
