/** The CLI's studio parts: recording eval/optimize/run (and --report), and `dspex studio`. */
import type { CommandOptions } from "./commands.js";
import { UsageError } from "./errors.js";
/**
 * Runs a command with its runs recorded for `dspex studio` (unless --no-record), and writes
 * --report's file from what was recorded. With --no-record the report still works: its runs
 * are recorded in memory only.
 */
export async function recorded(options: CommandOptions, command: string, work: () => Promise<number>): Promise<number> {
  if (options.report !== undefined && command === "run") {
    throw new UsageError("--report is for eval and optimize", { fix: "open dspex studio to see a run's trace" });
  }
  const record = !options["no-record"];
  if (!record && options.report === undefined) return work();
  const { recordRuns, writeReport } = await import("../studio/index.js");
  const recording = recordRuns(record ? {} : { path: ":memory:" });
  try {
    const code = await work();
    if (options.report !== undefined) {
      const kind = command === "eval" ? "evaluate" : "optimize";
      const ids = recording.recorder.runIds.filter((id) => recording.store.run(id)?.kind === kind);
      const out = writeReport(recording.store, ids, options.report);
      if (!options.json) console.error(`report: ${out}`);
    }
    return code;
  } finally {
    recording.stop();
  }
}

/** `dspex studio [--port N]`: serves the recorded runs on 127.0.0.1 until SIGINT/SIGTERM. */
export async function studioCommand(options: CommandOptions): Promise<number> {
  const port = options.port === undefined ? 4141 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`bad --port "${options.port}"`, { fix: "use a port number (0 picks a free one)" });
  }
  const { RunStore, serveStudio } = await import("../studio/index.js");
  const store = new RunStore();
  let server: Awaited<ReturnType<typeof serveStudio>>;
  try {
    server = await serveStudio({ store, port });
  } catch (error) {
    store.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new UsageError(`port ${port} is in use`, { fix: "pass another --port, or --port 0 for a free one" });
    }
    throw error;
  }
  if (options.json) console.log(JSON.stringify({ url: server.url, store: store.path }));
  else console.log(`dspex studio: ${server.url} (runs from ${store.path}; Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await server.close();
  store.close();
  return 0;
}
