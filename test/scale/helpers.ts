/**
 * Real parts for the scale tests: a loopback OpenAI-compatible LM whose answers depend on the
 * question (and on demos in the prompt), and `dspex worker` child processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { type Loopback, type RecordedRequest, start } from "../helpers/loopback-openai.js";

const root = join(import.meta.dirname, "..", "..");
export const PROGRAM = join(import.meta.dirname, "fixtures", "qa-program.ts");

/**
 * Answers "a<N>" to "q<N>", except for N divisible by 3 ("wrong"), unless the prompt carries
 * demos (more than system + user messages): then it always answers right. So a program's
 * state changes its score, and a worker must load the state a job carries.
 */
export function answerFor(request: RecordedRequest): string {
  const body = request.body as { messages: { role: string; content: string }[] };
  const last = body.messages[body.messages.length - 1]!.content;
  const n = Number(/\bq(\d+)\b/.exec(last)?.[1] ?? -1);
  const withDemos = body.messages.length > 2;
  return !withDemos && n % 3 === 0 ? "wrong" : `a${n}`;
}

/** `onRequest` sees each request as it arrives (before the latency). */
export function startLM(latencyMs = 0, onRequest?: (request: RecordedRequest) => void): Promise<Loopback> {
  return start({
    latencyMs,
    script: (request) => {
      onRequest?.(request);
      return {
        kind: "completion",
        outputs: `[[ ## answer ## ]]\n${answerFor(request)}\n\n[[ ## completed ## ]]`,
      };
    },
  });
}

export interface WorkerProcess {
  proc: ChildProcess;
  /** Everything it wrote to stderr. */
  log(): string;
  /** SIGTERM and wait for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface WorkerArgs {
  redis: string;
  lmURL: string;
  concurrency?: number;
  queue?: string;
  lockMs?: number;
  cache?: "redis" | "local" | "off";
  env?: Record<string, string>;
  /** Further CLI flags (e.g. ["--rpm", "300"]). */
  extra?: string[];
}

/** Starts `dspex worker` (the CLI, through tsx) and waits until it takes jobs. */
export async function startWorkerProcess(args: WorkerArgs): Promise<WorkerProcess> {
  const argv = [
    "--import",
    "tsx",
    join(root, "src", "cli", "main.ts"),
    "worker",
    "--redis",
    args.redis,
    "--concurrency",
    String(args.concurrency ?? 2),
    "--lock-ms",
    String(args.lockMs ?? 1500),
    "--cache",
    args.cache ?? "off",
    ...(args.queue ? ["--queue", args.queue] : []),
    ...(args.extra ?? []),
  ];
  const proc = spawn(process.execPath, argv, {
    cwd: root,
    env: { ...process.env, DSPEX_TEST_LM_URL: args.lmURL, ...args.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in 60 s:\n${log}`)), 60_000);
    proc.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("taking jobs")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited before taking jobs:\n${log}`));
    });
  });
  const waitExit = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return { proc, log: () => log, stop: () => waitExit("SIGTERM"), kill: () => waitExit("SIGKILL") };
}

/** Runs the dspex CLI (through tsx) without blocking this process's event loop. */
export function runCLI(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(root, "src", "cli", "main.ts"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.once("close", (status) => resolve({ status, stdout, stderr })));
}
