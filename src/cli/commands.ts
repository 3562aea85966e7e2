/** The CLI's commands. Each returns an exit code; user errors throw typed errors with a hint. */
import { PipelineModule } from "../pipeline/module.js";
import { StepTree } from "./step-tree.js";
import { closest } from "../suggest.js";
import { SingleBar } from "cli-progress";
import { Evaluate } from "../evaluate/evaluate.js";
import * as metrics from "../evaluate/metrics.js";
import { formatTable } from "../evaluate/results.js";
import type { Metric } from "../evaluate/types.js";
import type { Example, Fields } from "../modules/example.js";
import type { Module } from "../modules/module.js";
import { CAPABILITIES, type Operation } from "../router/capabilities.js";
import { configure } from "../runtime/settings.js";
import { setup } from "../setup/index.js";
import { loadDataset } from "./dataset.js";
import { UsageError } from "./errors.js";
import { printDoctor } from "./doctor.js";
import { recorded, studioCommand } from "./studio.js";
import { type LoadedProgram, loadProgram } from "./load-program.js";

export interface CommandOptions {
  input?: string[];
  json?: boolean;
  metric?: string;
  inputs?: string;
  optimizer?: string;
  out?: string;
  concurrency?: string;
  redis?: string;
  queue?: string;
  cache?: string;
  "lock-ms"?: string;
  rpm?: string;
  tpm?: string;
  python?: string;
  "no-models"?: boolean;
  "models-only"?: boolean;
  dev?: boolean;
  report?: string;
  "no-record"?: boolean;
  port?: string;
}

export async function runCommand(command: string, args: string[], options: CommandOptions): Promise<number> {
  switch (command) {
    case "doctor":
      return printDoctor();
    case "setup":
      return setupCommand(options);
    case "run":
      return run(need(args, 1, "run <program> --input ..."), options);
    case "eval":
      return evalCommand(need(args, 2, "eval <program> <dataset>"), options);
    case "optimize":
      return optimize(need(args, 2, "optimize <program> <trainset> --optimizer NAME"), options);
    case "worker":
      return workerCommand(options);
    case "studio":
      return studioCommand(options);
    default:
      throw new UsageError(`unknown command "${command}"`, {
        fix: "commands are: setup, run, eval, optimize, worker, studio, doctor",
      });
  }
}

async function setupCommand(options: CommandOptions): Promise<number> {
  if (options["no-models"] && options["models-only"]) {
    throw new UsageError("--no-models and --models-only exclude each other", { fix: "pass one of them" });
  }
  const result = await setup({
    ...(options.python === undefined ? {} : { python: options.python }),
    models: !options["no-models"],
    modelsOnly: options["models-only"] ?? false,
    dev: options.dev ?? false,
  });
  if (options.json) console.log(JSON.stringify(result));
  return 0;
}

function need(args: string[], n: number, usage: string): string[] {
  if (args.length < n) throw new UsageError(`missing arguments`, { fix: `dspex ${usage}` });
  return args;
}

async function prepare(file: string): Promise<LoadedProgram> {
  const loaded = await loadProgram(file);
  if (loaded.lm) configure({ lm: loaded.lm });
  return loaded;
}

async function run([file]: string[], options: CommandOptions): Promise<number> {
  return recorded(options, "run", () => runOnce(file!, options));
}

async function runOnce(file: string, options: CommandOptions): Promise<number> {
  const loaded = await prepare(file);
  const { program } = loaded;
  const inputs = parseInputs(options.input ?? []);
  checkInputKeys(loaded, inputs);
  // A pipeline program draws its step tree on stderr (live on a terminal, one tree at the end in a log).
  const tree = program instanceof PipelineModule ? new StepTree() : undefined;
  const unsubscribe = tree && program instanceof PipelineModule ? program.onProgress(tree.handle) : undefined;
  let prediction: Awaited<ReturnType<typeof program.call>>;
  try {
    prediction = await program.call(inputs);
  } finally {
    unsubscribe?.();
    tree?.finish();
  }
  const fields = prediction.toDict();
  if (options.json) console.log(JSON.stringify(fields));
  else
    for (const [k, v] of Object.entries(fields)) console.log(`${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return 0;
}

/** `--input '{"q": 1}'` (JSON) or `--input q=1` pairs. */
export function parseInputs(items: string[]): Fields {
  const out: Fields = {};
  for (const item of items) {
    if (item.trim().startsWith("{")) {
      try {
        Object.assign(out, JSON.parse(item));
      } catch (e) {
        throw new UsageError(`--input is not valid JSON: ${(e as Error).message}`, {
          fix: `quote it for the shell: --input '{"question": "..."}'`,
        });
      }
      continue;
    }
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`bad --input "${item}"`, { fix: "write --input key=value or a JSON object" });
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  if (Object.keys(out).length === 0) throw new UsageError("no inputs given", { fix: "add --input key=value" });
  return out;
}

/**
 * `--input` keys the program cannot take are a usage error, with the nearest input name: a typo
 * (`questoin=hi`) must not run the program without its question. Known inputs are the program's
 * exported `inputKeys`, else every predictor's input fields (a superset, so no valid key is refused).
 */
export function checkInputKeys(loaded: LoadedProgram, inputs: Fields): void {
  const known = new Set(loaded.inputKeys ?? []);
  if (!loaded.inputKeys) {
    for (const [, p] of loaded.program.namedPredictors()) {
      const sig = (p as { signature?: { inputFields: readonly { name: string }[] } }).signature;
      for (const f of sig?.inputFields ?? []) known.add(f.name);
    }
  }
  // A program whose predictors are not known yet (Python-backed, learnt on first call): nothing to check.
  if (known.size === 0) return;
  const unknown = Object.keys(inputs).filter((k) => !known.has(k));
  if (unknown.length === 0) return;
  const hints = unknown.map((k) => {
    const near = closest(k, known);
    return near ? `"${k}": did you mean "${near}"?` : `"${k}" is not an input`;
  });
  throw new UsageError(`unknown --input key${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`, {
    fix: `${hints.join(" ")} The program's inputs are: ${[...known].join(", ")}`,
  });
}

function inputKeysFor(loaded: LoadedProgram, options: CommandOptions): string[] {
  if (options.inputs) return options.inputs.split(",").map((s) => s.trim());
  if (loaded.inputKeys) return loaded.inputKeys;
  const first = loaded.program.namedPredictors()[0]?.[1] as { signature?: { inputFields: { name: string }[] } };
  const names = first?.signature?.inputFields.map((f) => f.name);
  if (!names || names.length === 0) {
    throw new UsageError("cannot tell which dataset fields are inputs", { fix: "pass --inputs question,context" });
  }
  return names;
}

const BUILTIN_METRICS: Record<string, Metric> = {
  exactMatch: (ex, pred) => metrics.answerExactMatch(ex, pred),
  answerExactMatch: (ex, pred) => metrics.answerExactMatch(ex, pred),
  answerPassageMatch: (ex, pred) => metrics.answerPassageMatch(ex, pred),
  f1: (ex, pred) => metrics.f1(String(pred.answer ?? ""), [String(ex.answer ?? "")]),
};

function metricFor(loaded: LoadedProgram, options: CommandOptions): Metric {
  if (options.metric) {
    const m = BUILTIN_METRICS[options.metric];
    if (!m) {
      throw new UsageError(`unknown metric "${options.metric}"`, {
        fix: `valid metrics: ${Object.keys(BUILTIN_METRICS).join(", ")}, or export \`metric\` from the program`,
      });
    }
    return m;
  }
  return loaded.metric ?? BUILTIN_METRICS.answerExactMatch!;
}

async function evalCommand([file, data]: string[], options: CommandOptions): Promise<number> {
  return recorded(options, "eval", () => evalOnce(file!, data!, options));
}

async function evalOnce(file: string, data: string, options: CommandOptions): Promise<number> {
  const loaded = await prepare(file);
  const devset = await loadDataset(data, inputKeysFor(loaded, options));
  const result = await evaluateWithBar(loaded.program, devset, metricFor(loaded, options), options, loaded.path);
  if (options.json) {
    console.log(JSON.stringify({ score: result.score, errors: result.errors, n: devset.length }));
  } else {
    console.log(formatTable(result));
    console.log(`score: ${result.score}% on ${devset.length} examples (${result.errors} errors)`);
  }
  return 0;
}

export async function evaluateWithBar(
  program: Module,
  devset: Example[],
  metric: Metric,
  options: CommandOptions,
  programFile?: string,
) {
  const concurrency = options.concurrency ? Number(options.concurrency) : 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`bad --concurrency "${options.concurrency}"`, { fix: "use a positive integer" });
  }
  const bar =
    options.json || !process.stderr.isTTY
      ? undefined
      : new SingleBar({ format: "eval [{bar}] {value}/{total} score {score}%", stream: process.stderr });
  bar?.start(devset.length, 0, { score: "0.0" });
  // With --redis the examples go to `dspex worker` processes; the program file travels by path.
  const queue = options.redis
    ? (await import("../scale/queue.js")).redisQueue({
        url: options.redis,
        ...(options.queue ? { name: options.queue } : {}),
      })
    : undefined;
  const evaluate = new Evaluate({ devset, metric, concurrency, ...(queue ? { queue } : {}) });
  try {
    return await evaluate.run(program, {
      onProgress: (e) => bar?.update(e.done, { score: e.score.toFixed(1) }),
      ...(programFile ? { programFile } : {}),
    });
  } finally {
    bar?.stop();
    await queue?.close();
  }
}

/** `dspex worker --redis URL`: runs program jobs from the queue until SIGTERM/SIGINT. */
async function workerCommand(options: CommandOptions): Promise<number> {
  const url = options.redis;
  if (!url) throw new UsageError("dspex worker needs --redis URL", { fix: "dspex worker --redis redis://host:6379" });
  const concurrency = positiveInt(options.concurrency ?? "8", "--concurrency");
  const lockMs = options["lock-ms"] === undefined ? undefined : positiveInt(options["lock-ms"], "--lock-ms");
  const cacheMode = options.cache ?? "redis";
  if (!["redis", "local", "off"].includes(cacheMode)) {
    throw new UsageError(`bad --cache "${cacheMode}"`, { fix: "use redis (shared, default), local or off" });
  }
  const [{ startWorker }, { Cache }, { RedisStore }] = await Promise.all([
    import("../scale/worker.js"),
    import("../cache/cache.js"),
    import("../cache/redis.js"),
  ]);
  // The workers' LM cache is shared through the same Redis unless told otherwise.
  const cache =
    cacheMode === "redis"
      ? // After a Redis outage the shared tier comes back (a fresh connection) 5 s after the failure.
        new Cache({ store: () => new RedisStore({ url }), reopenAfterMs: 5000 })
      : cacheMode === "off"
        ? false
        : undefined;
  const worker = await startWorker({
    url,
    concurrency,
    ...(options.queue ? { queue: options.queue } : {}),
    ...(lockMs ? { lockMs } : {}),
    load: (file) => loadProgram(file.path, file.export),
    ...rateLimitOption(options),
    settings: cache === undefined ? {} : { cache },
  });
  console.error(
    `dspex worker ${worker.name}: taking jobs from queue "${options.queue ?? "dspex"}" (concurrency ${concurrency}, cache ${cacheMode})`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  await worker.close();
  if (cache) await cache.close();
  return 0;
}

/** `--rpm` / `--tpm`: budgets per provider shared by every worker on the Redis. */
function rateLimitOption(options: CommandOptions): { rateLimit?: { rpm?: number; tpm?: number } } {
  if (options.rpm === undefined && options.tpm === undefined) return {};
  const rateLimit: { rpm?: number; tpm?: number } = {};
  if (options.rpm !== undefined) rateLimit.rpm = positiveInt(options.rpm, "--rpm");
  if (options.tpm !== undefined) rateLimit.tpm = positiveInt(options.tpm, "--tpm");
  return { rateLimit };
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`bad ${flag} "${text}"`, { fix: "use a positive integer" });
  return n;
}

/** The optimizers, as the router's capability table lists them (those run in the optimizers pool). */
const OPTIMIZERS: readonly string[] = [...CAPABILITIES.values()]
  .filter((c) => c.python?.pool === "optimizers")
  .map((c) => c.op);

async function optimize([file, data]: string[], options: CommandOptions): Promise<number> {
  return recorded(options, "optimize", () => optimizeOnce(file!, data!, options));
}

async function optimizeOnce(file: string, data: string, options: CommandOptions): Promise<number> {
  const name = options.optimizer ?? "bootstrapFewShot";
  if (!OPTIMIZERS.includes(name)) {
    throw new UsageError(`unknown optimizer "${name}"`, { fix: `valid optimizers: ${OPTIMIZERS.join(", ")}` });
  }
  // The pool starts (DSPy's import, about half a second) while the program and data load; the
  // optimizer gets the same shared pool. A failed start is reported by the optimizer's own call.
  const { sharedPoolFor } = await import("../bridge/shared-pools.js");
  sharedPoolFor(name as Operation).catch(() => undefined);
  const loaded = await prepare(file);
  const trainset = await loadDataset(data, inputKeysFor(loaded, options));
  const metric = metricFor(loaded, options);
  // Loaded on demand: optimizing starts Python workers, which run/eval never need.
  const optimizers = (await import("../optimize/index.js")) as unknown as Record<
    string,
    (
      p: Module,
      t: Example[],
      o: Record<string, unknown>,
    ) => Promise<{ program: Module; report: Record<string, unknown> }>
  >;
  const fn = optimizers[name];
  if (!fn) throw new UsageError(`optimizer "${name}" is not available`, { fix: `try bootstrapFewShot` });
  const started = Date.now();
  const { program, report } = await fn(loaded.program, trainset, {
    metric,
    onProgress: (e: { message?: string }) => {
      if (!options.json && e.message) console.error(`  ${e.message}`);
    },
  });
  const out = options.out ?? "optimized.json";
  await program.save(out);
  if (options.json) console.log(JSON.stringify({ optimizer: name, out, report }));
  else console.log(`${name}: saved to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const { closeSharedPools } = await import("../bridge/shared-pools.js");
  await closeSharedPools();
  return 0;
}
