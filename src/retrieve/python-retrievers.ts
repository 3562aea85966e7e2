/**
 * DSPy's own retrievers, run in the `retrievers` pool: dspy.ColBERTv2 (an HTTP client of a
 * ColBERTv2 server) and dspy.retrievers.Embeddings, whose embedder is served from Node.
 * An Embeddings retriever keeps its corpus embeddings in a pool session; if that session is lost
 * (its worker died, or it sat idle past the TTL) the corpus is embedded again on the next call.
 */
import { SessionLostError, UnknownToolError } from "../bridge/errors.js";
import type { PythonPool } from "../bridge/pool.js";
import type { Session } from "../bridge/session.js";
import { ConfigurationError } from "../errors.js";
import { type Registration, registerScoped } from "../modules/python/scoped-callbacks.js";
import type { Operation } from "../bridge/capabilities.js";
import { sharedPoolFor } from "../bridge/shared-pools.js";
import { checkDocuments, checkK, embeddingText, FiltersNotSupportedError, filterEntries } from "./documents.js";
import type { Document, Passage, RetrieveOptions, Retriever, TextEmbedder } from "./retriever.js";

export const RETRIEVERS_PYTHON = "dspex_worker.retrievers";
export const EMBED_CALLBACK = "dspex.embed";

type PoolSource = PythonPool | (() => Promise<PythonPool>);

interface CommonOptions {
  /** The pool to run in; default: the process's shared `retrievers` pool. */
  pool?: PoolSource;
  timeoutMs?: number;
}

export interface ColBERTv2Options extends CommonOptions {
  url: string;
  /** POST instead of GET (dspy.ColBERTv2's `post_requests`). */
  post?: boolean;
  /** Default number of passages (DSPy's default: 10). */
  k?: number;
}

export interface PythonEmbeddingsOptions extends CommonOptions {
  /** Texts to index now (ids are their positions); more can come through `add`. */
  corpus?: readonly string[];
  embedder: TextEmbedder;
  /** Passages per query (DSPy's default: 5); a call may ask for fewer. */
  k?: number;
  /** Corpus size from which DSPy builds a FAISS index (needs faiss-cpu in the venv). */
  bruteForceThreshold?: number;
}

export type RetrieverKind = "colbertv2" | "embeddings";

export function retriever(kind: "colbertv2", options: ColBERTv2Options): ColBERTv2Retriever;
export function retriever(kind: "embeddings", options: PythonEmbeddingsOptions): PythonEmbeddingsRetriever;
export function retriever(
  kind: RetrieverKind,
  options: ColBERTv2Options | PythonEmbeddingsOptions,
): ColBERTv2Retriever | PythonEmbeddingsRetriever {
  if (kind === "colbertv2") return new ColBERTv2Retriever(options as ColBERTv2Options);
  if (kind === "embeddings") return new PythonEmbeddingsRetriever(options as PythonEmbeddingsOptions);
  throw new ConfigurationError(`Unknown retriever "${String(kind)}"`, {
    context: { kind },
    fix: 'use "colbertv2" or "embeddings"',
  });
}

async function resolvePool(source: PoolSource | undefined, op: Operation): Promise<PythonPool> {
  if (source === undefined) return sharedPoolFor(op);
  return typeof source === "function" ? source() : source;
}

function missingTool(error: unknown): unknown {
  if (!(error instanceof UnknownToolError)) return error;
  return new ConfigurationError("The pool's workers do not provide DSPy's retrievers", {
    cause: error,
    fix: `start the pool with { modules: ["${RETRIEVERS_PYTHON}"] }`,
  });
}

export class ColBERTv2Retriever implements Retriever {
  readonly url: string;
  readonly k: number;
  readonly #options: ColBERTv2Options;

  constructor(options: ColBERTv2Options) {
    if (typeof options?.url !== "string" || !/^https?:\/\//.test(options.url)) {
      throw new ConfigurationError("ColBERTv2 needs the server's `url`", {
        fix: 'pass { url: "http://host:port/api/search" }',
      });
    }
    this.url = options.url;
    this.k = checkK(options.k ?? 10);
    this.#options = options;
  }

  async retrieve(query: string, k: number = this.k, options: { signal?: AbortSignal } = {}): Promise<Passage[]> {
    const pool = await resolvePool(this.#options.pool, "retriever.colbertv2");
    let rows: Record<string, unknown>[];
    try {
      rows = await pool.call<Record<string, unknown>[]>(
        "dspex.retrieve.colbertv2",
        { url: this.url, query, k: checkK(k), post: this.#options.post ?? false },
        {
          idempotent: true,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
        },
      );
    } catch (error) {
      throw missingTool(error);
    }
    return rows.map(({ long_text, text, score, pid, ...rest }) => {
      const passage: Passage = { text: String(long_text ?? text ?? "") };
      if (typeof score === "number") passage.score = score;
      if (typeof pid === "number" || typeof pid === "string") passage.pid = pid;
      if (Object.keys(rest).length > 0) passage.metadata = rest;
      return passage;
    });
  }
}

export class PythonEmbeddingsRetriever implements Retriever {
  /** DSPy's Embeddings takes no filters. */
  readonly supportsFilters = false;
  readonly k: number;
  readonly #options: PythonEmbeddingsOptions;
  readonly #docs: (Document | undefined)[] = [];
  readonly #texts: string[] = [];
  readonly #byId = new Map<string, number>();
  #opened: Promise<{ session: Session; registration: Registration }> | undefined;
  #closed = false;

  constructor(options: PythonEmbeddingsOptions) {
    const corpus = options?.corpus ?? [];
    if (!Array.isArray(corpus) || corpus.some((p) => typeof p !== "string")) {
      throw new ConfigurationError("`corpus` must be an array of strings");
    }
    if (typeof options.embedder?.embed !== "function") {
      throw new ConfigurationError("`embedder` must have an `embed(texts)` method");
    }
    for (const text of corpus) {
      this.#docs.push(undefined);
      this.#texts.push(text);
    }
    this.k = checkK(options.k ?? 5);
    this.#options = options;
  }

  /** The texts DSPy indexes, in corpus order. */
  get corpus(): readonly string[] {
    return [...this.#texts];
  }

  /** Embeds the corpus in a worker (done on first retrieve otherwise). */
  async open(): Promise<void> {
    await this.session();
  }

  /** DSPy's Embeddings indexes a fixed corpus, so new documents mean a new index on the next call. */
  async add(docs: readonly Document[]): Promise<void> {
    const checked = checkDocuments(docs);
    if (this.#closed) throw new ConfigurationError("This retriever was closed", { fix: "create a new one" });
    for (const doc of checked) {
      const at = this.#byId.get(doc.id) ?? this.#docs.length;
      this.#byId.set(doc.id, at);
      this.#docs[at] = doc;
      this.#texts[at] = embeddingText(doc);
    }
    if (checked.length > 0) this.drop();
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    if (filterEntries(options.filters).length > 0) {
      throw new FiltersNotSupportedError("DSPy's Embeddings retriever", options.filters ?? {});
    }
    if (checkK(k) > this.k) {
      throw new ConfigurationError(`This retriever ranks the top ${this.k} passages; asked for ${k}`, {
        fix: `create it with { k: ${k} } or more`,
      });
    }
    if (this.#texts.length === 0) return [];
    for (let attempt = 0; ; attempt++) {
      const { session } = await this.session();
      try {
        const found = await session.call<{ passages: string[]; indices: number[]; scores: number[] }>(
          "dspex.retrieve.embeddings.search",
          { query, k: Math.min(k, this.#texts.length) },
          {
            ...(options.signal ? { signal: options.signal } : {}),
            ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
          },
        );
        return found.passages.map((text, i) => {
          const index = found.indices[i] as number;
          const score = found.scores[i] as number;
          const doc = this.#docs[index];
          if (doc === undefined) return { text, index, score };
          return {
            text: doc.text,
            index,
            score,
            id: doc.id,
            ...(doc.title !== undefined ? { title: doc.title } : {}),
            ...(doc.metadata !== undefined ? { metadata: { ...doc.metadata } } : {}),
          };
        });
      } catch (error) {
        if (!(error instanceof SessionLostError) || attempt > 0 || this.#closed) throw missingTool(error);
        this.drop();
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.drop();
  }

  private drop(): void {
    const opened = this.#opened;
    this.#opened = undefined;
    opened?.then(
      ({ session, registration }) => {
        session.close();
        registration.release();
      },
      () => undefined,
    );
  }

  private session(): Promise<{ session: Session; registration: Registration }> {
    if (this.#closed) throw new ConfigurationError("This retriever was closed", { fix: "create a new one" });
    this.#opened ??= this.start();
    const opened = this.#opened;
    opened.catch(() => {
      if (this.#opened === opened) this.#opened = undefined;
    });
    return opened;
  }

  private async start(): Promise<{ session: Session; registration: Registration }> {
    const pool = await resolvePool(this.#options.pool, "retriever.embeddings");
    const registration = registerScoped(pool, EMBED_CALLBACK, this.#options.embedder, async (embedder, args) => {
      const texts = Array.isArray(args.texts) ? args.texts.map(String) : [];
      const vectors = await embedder.embed(texts);
      // Plain arrays: typed arrays would cross the channel as raw bytes.
      return vectors.map((v) => Array.from(v));
    });
    const session = pool.session();
    try {
      await session.call(
        "dspex.retrieve.embeddings.open",
        {
          token: registration.token,
          corpus: [...this.#texts],
          k: Math.min(this.k, this.#texts.length),
          ...(this.#options.bruteForceThreshold !== undefined
            ? { brute_force_threshold: this.#options.bruteForceThreshold }
            : {}),
        },
        this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {},
      );
    } catch (error) {
      session.close();
      registration.release();
      throw missingTool(error);
    }
    return { session, registration };
  }
}
