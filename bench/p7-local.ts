/**
 * P7: generation speed through our `local()` provider against raw node-llama-cpp
 * (LlamaChatSession.prompt) on the same GGUF, prompt, threads and context size, in the same run.
 * Runs alternate ours/raw after a warm-up of each, so that noise from other processes falls on
 * both sides alike; the figures are medians.
 *
 * Two rates per side: decode tokens/s (first to last generated token: what llama.cpp does per
 * token plus our per-token overhead) and end-to-end tokens/s (completion tokens over the whole
 * call, prompt evaluation included). `measureLM` works with any LM, so the Predict-level P7 can
 * reuse it.
 *
 *   npx tsx bench/p7-local.ts            a table
 *   npx tsx bench/p7-local.ts --json     one JSON array of rows
 *
 * The model is $DSPEX_MODEL, else the one `npm run setup` installed. Both sides use one thread
 * by default ($DSPEX_P7_THREADS to change): with two threads on a shared two-core machine, llama.cpp's
 * per-token thread barrier turns any other process's activity into 5-10x swings that swamp the
 * few-percent difference this measures; one thread keeps the comparison stable.
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { local } from "../src/lm/providers/local.js";
import { defaultModelPath } from "../src/lm/providers/local-model.js";
import { unloadLocalModels } from "../src/lm/providers/local-runtime.js";
import type { LM, LMRequest } from "../src/lm/types.js";
import { median, type Row, report } from "./row.js";

export interface RunOptions {
  runs?: number;
  maxTokens?: number;
  modelPath?: string;
  threads?: number;
}

/** One timed generation: tokens produced, and its decode and end-to-end rates. */
export interface Sample {
  tokens: number;
  decodeTps: number;
  endToEndTps: number;
}

const CONTEXT_SIZE = 2048;
const SYSTEM = "You are a storyteller. Write vivid, long stories.";
const USER = "Tell me a long story about a lighthouse keeper who finds a message in a bottle.";

export const request = (maxTokens: number): LMRequest => ({
  messages: [
    { role: "system", content: SYSTEM },
    { role: "user", content: USER },
  ],
  maxTokens,
  temperature: 0,
});

/** Times one streamed generation through any LM; tokens come from the LM's own usage report. */
export async function measureLM(lm: LM, req: LMRequest): Promise<Sample> {
  const start = performance.now();
  let first: number | undefined;
  let last = start;
  let tokens = 0;
  for await (const chunk of lm.stream(req)) {
    if (chunk.delta !== "") {
      last = performance.now();
      first ??= last;
    }
    if (chunk.usage !== undefined) tokens = chunk.usage.completionTokens;
  }
  return rates(tokens, start, first ?? last, last);
}

function rates(tokens: number, start: number, first: number, last: number): Sample {
  // The first token's time is prompt evaluation; decoding is the tokens after it.
  const decodeMs = last - first;
  return {
    tokens,
    decodeTps: decodeMs > 0 ? ((tokens - 1) * 1000) / decodeMs : 0,
    endToEndTps: last > start ? (tokens * 1000) / (last - start) : 0,
  };
}

/** The baseline: node-llama-cpp's own chat session on its own context, same settings. */
async function rawBaseline(modelPath: string, threads: number) {
  const { getLlama, LlamaChatSession, LlamaLogLevel } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, threads, sequences: 1 });
  const sequence = context.getSequence();
  const measure = async (maxTokens: number): Promise<Sample> => {
    const session = new LlamaChatSession({
      contextSequence: sequence,
      systemPrompt: SYSTEM,
      autoDisposeSequence: false,
    });
    const start = performance.now();
    let first: number | undefined;
    let last = start;
    let tokens = 0;
    await session.prompt(USER, {
      maxTokens,
      temperature: 0,
      onToken: (t) => {
        tokens += t.length;
        last = performance.now();
        first ??= last;
      },
    });
    session.dispose({ disposeSequence: false });
    return rates(tokens, start, first ?? last, last);
  };
  return { measure, dispose: () => llama.dispose() };
}

export async function run(options: RunOptions = {}): Promise<Row[]> {
  const runs = options.runs ?? 7;
  const maxTokens = options.maxTokens ?? 96;
  const modelPath = options.modelPath ?? defaultModelPath();
  const threads = options.threads ?? threadsFromEnv();
  const lm = local({ modelPath, contextSize: CONTEXT_SIZE, threads, maxConcurrency: 1 });
  const raw = await rawBaseline(modelPath, threads);
  const ours: Sample[] = [];
  const base: Sample[] = [];
  try {
    await measureLM(lm, request(maxTokens));
    await raw.measure(maxTokens);
    for (let r = 0; r < runs; r++) {
      // Alternate which side goes first so that neither always follows the other's cache state.
      if (r % 2 === 0) {
        ours.push(await measureLM(lm, request(maxTokens)));
        base.push(await raw.measure(maxTokens));
      } else {
        base.push(await raw.measure(maxTokens));
        ours.push(await measureLM(lm, request(maxTokens)));
      }
    }
  } finally {
    await raw.dispose();
    await unloadLocalModels();
  }
  const note = `${lm.model}, ${threads} threads, ${maxTokens} max tokens, ${runs} runs; tokens ours ${median(ours.map((s) => s.tokens))}, raw ${median(base.map((s) => s.tokens))}`;
  const row = (unit: string, pick: (s: Sample) => number): Row => {
    const o = median(ours.map(pick));
    const b = median(base.map(pick));
    const ratio = b > 0 ? o / b : null;
    return {
      measure: "P7",
      unit,
      ours: round(o),
      baseline: round(b),
      baselineName: "node-llama-cpp 3.21.1 LlamaChatSession",
      ratio: ratio === null ? null : round(ratio),
      goal: ">= 90%",
      met: ratio === null ? null : ratio >= 0.9,
      note,
    };
  };
  return [
    row("decode tokens/s (local provider)", (s) => s.decodeTps),
    row("end-to-end tokens/s (local provider)", (s) => s.endToEndTps),
  ];
}

function threadsFromEnv(): number {
  const n = Number(process.env.DSPEX_P7_THREADS);
  return Number.isInteger(n) && n > 0 ? Math.min(n, availableParallelism()) : 1;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  report(await run());
}
