/**
 * The design's research assistant as a `pipeline([...])`, run offline on the embedded defaults:
 *
 *   parse (native) -> refine (DSPy ChainOfThought, Python) -> retrieve (parallel over every
 *   backend, fused by reciprocal rank fusion, cached with a TTL) -> rerank (LM) -> attempts (3)
 *   -> compare (DSPy MultiChainComparison, Python) -> format (native markdown with citations)
 *
 * Backends: SQLite FTS5 and sqlite-vec (embedded, no server), DSPy's Embeddings retriever in the
 * retrievers pool, and PostgreSQL full-text + pgvector when a connection is given (DATABASE_URL).
 * The reranker is an LM reranker: no cross-encoder ships its weights in an npm or PyPI package we
 * could find (the candidates are API clients or runtimes that download weights at run time), and
 * this job must run offline. Exported for `dspex run|eval|optimize examples/research-pipeline.ts`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ChainOfThought, type Example, type Fields, normalizeText, Predict, type Prediction } from "../src/index.js";
import { MultiChainComparison, PythonChainOfThought } from "../src/modules/python/index.js";
import {
  type CacheStore,
  cached,
  type PipelineResult,
  PipelineModule,
  parallel,
  pythonStep,
  type StepLike,
  step,
} from "../src/pipeline/index.js";
import {
  type Document,
  type Filters,
  localEmbedder,
  type Passage,
  PgFtsRetriever,
  PgVectorRetriever,
  PythonEmbeddingsRetriever,
  type Retriever,
  reciprocalRankFusion,
  SqliteFtsRetriever,
  SqliteVecRetriever,
  type TextEmbedder,
} from "../src/retrieve/index.js";

const DATA = join(import.meta.dirname, "data");

export function loadJSONL<T>(name: string): T[] {
  return readFileSync(join(DATA, name), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

export interface CorpusEntry {
  id: string;
  title: string;
  text: string;
  topic: string;
}

export const corpus = loadJSONL<CorpusEntry>("corpus.jsonl");
export const documents: Document[] = corpus.map((c) => ({
  id: c.id,
  title: c.title,
  text: c.text,
  metadata: { topic: c.topic },
}));

/** Remembers vectors by text, so the backends that embed the same corpus pay for it once. */
export function sharedEmbedder(inner: TextEmbedder = localEmbedder()): TextEmbedder {
  const memo = new Map<string, Float32Array>();
  return {
    async embed(texts: string[]): Promise<Float32Array[]> {
      const missing = [...new Set(texts.filter((t) => !memo.has(t)))];
      if (missing.length > 0) {
        const vectors = await inner.embed(missing);
        missing.forEach((t, i) => memo.set(t, Float32Array.from(vectors[i]!)));
      }
      return texts.map((t) => memo.get(t)!);
    },
  };
}

export interface BackendOptions {
  /** PostgreSQL for the full-text and pgvector backends; default $DATABASE_URL, else none. */
  pgUrl?: string;
  embedder?: TextEmbedder;
  /** Passages each backend returns (DSPy's Embeddings is built for this many). */
  depth?: number;
}

/** Opens every backend and indexes the corpus; returns them with the seconds each took. */
export async function openBackends(
  options: BackendOptions = {},
): Promise<{ backends: Record<string, Retriever>; indexSeconds: Record<string, number> }> {
  const embedder = options.embedder ?? sharedEmbedder();
  const depth = options.depth ?? 8;
  const pgUrl = options.pgUrl ?? process.env.DATABASE_URL;
  const backends: Record<string, Retriever> = {
    "sqlite-fts": new SqliteFtsRetriever({ k: depth }),
    "sqlite-vec": new SqliteVecRetriever({ embedder, k: depth }),
    "dspy-embeddings": new PythonEmbeddingsRetriever({ embedder, k: depth }),
  };
  if (pgUrl) {
    backends["pg-fts"] = new PgFtsRetriever({ connectionString: pgUrl, table: "research_passages", k: depth });
    backends.pgvector = new PgVectorRetriever({
      connectionString: pgUrl,
      embedder,
      table: "research_vectors",
      k: depth,
    });
  }
  const indexSeconds: Record<string, number> = {};
  // One after another: the first dense backend embeds the corpus, the others reuse its vectors.
  for (const [name, r] of Object.entries(backends)) {
    const t = performance.now();
    await r.add?.(documents);
    if (r instanceof PythonEmbeddingsRetriever) await r.open();
    indexSeconds[name] = (performance.now() - t) / 1000;
  }
  return { backends, indexSeconds };
}

const FILTER_KEYS = new Set(["topic"]);
const STOP = new Set(
  "a an the of in on at to for from by with and or is are was were be do does did which what who whom when where why how that this it its as into than there their they his her he she we you our".split(
    " ",
  ),
);

/** The native parse step: `topic:biology What ...` -> filters { topic }, the question, its search terms. */
export function parseQuery(question: string): { query: string; search_terms: string[]; filters: Filters } {
  const filters: Filters = {};
  const rest: string[] = [];
  for (const token of question.trim().split(/\s+/)) {
    const m = /^([a-z_]+):(\S+)$/i.exec(token);
    if (m && FILTER_KEYS.has(m[1]!.toLowerCase())) filters[m[1]!.toLowerCase()] = m[2]!.toLowerCase();
    else rest.push(token);
  }
  const query = rest.join(" ");
  const words = query.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
  return { query, search_terms: [...new Set(words.filter((w) => !STOP.has(w)))], filters };
}

/** The native format step: markdown with the answer, numbered citations and the sources list. */
export function formatMarkdown(
  answer: string,
  passages: readonly Passage[],
): { markdown: string; citations: number[] } {
  const gold = normalizeText(answer);
  // A passage is cited when it contains the answer; if none does, the best-ranked one is.
  const citing = passages.flatMap((p, i) => (gold !== "" && normalizeText(p.text).includes(gold) ? [i + 1] : []));
  const citations = citing.length > 0 ? citing : passages.length > 0 ? [1] : [];
  const marks = citations.map((n) => `[${n}]`).join("");
  const sources = passages.map((p, i) => `${i + 1}. **${p.title ?? p.id ?? "source"}** (${p.id ?? "?"}): ${p.text}`);
  return { markdown: `**Answer:** ${answer} ${marks}\n\n**Sources**\n\n${sources.join("\n")}`, citations };
}

export interface ResearchOptions {
  /** Passages each backend returns before fusion. */
  depth?: number;
  /** Passages fused candidates are cut to before the reranker, and kept after it. */
  candidates?: number;
  keep?: number;
  /** TTL of the cached retrieve step, in ms. */
  ttlMs?: number;
  /** Share the retrieve cache between instances (an optimizer's copies, the optimized program). */
  cacheStore?: CacheStore;
}

/**
 * A Python step's call includes its LM call, which waits in the local provider's queue behind the
 * other concurrent runs': on a busy 2-core machine that is minutes, past the pool's 2-minute default.
 */
const PYTHON_TIMEOUT_MS = 30 * 60_000;

export class ResearchAssistant extends PipelineModule {
  // Short outputs: every LM call is one of the main job's costs (see examples/main.ts).
  readonly refine = new PythonChainOfThought(
    {
      inputs: { question: {}, search_terms: { type: "list[str]" } },
      outputs: {
        refined_queries: { type: "list[str]", desc: "one or two short search queries" },
        strategy: { desc: "a few words on what to look for" },
      },
      instructions: "Rewrite the question into short search queries for a knowledge base.",
    },
    { config: { maxTokens: 96 }, timeoutMs: PYTHON_TIMEOUT_MS },
  );
  readonly rerank = new Predict(
    {
      inputs: { question: {}, passages: { type: "list[str]" } },
      outputs: { ranking: { type: "list[int]", desc: "passage numbers (1 = first), most useful first" } },
      instructions: "Rank the passages by how well they answer the question.",
    },
    { maxTokens: 32 },
  );
  readonly attempt = new ChainOfThought("question, passages: list[str] -> answer", {
    n: 3,
    temperature: 0.7,
    maxTokens: 64,
  });
  readonly compare = new MultiChainComparison("question, passages: list[str] -> answer", {
    m: 3,
    config: { maxTokens: 64 },
    timeoutMs: PYTHON_TIMEOUT_MS,
  });

  readonly #backends: Record<string, Retriever>;
  readonly #options: Required<Omit<ResearchOptions, "cacheStore">> & { cacheStore: CacheStore };

  constructor(backends: Record<string, Retriever>, options: ResearchOptions = {}) {
    super();
    this.#backends = backends;
    this.#options = {
      depth: options.depth ?? 8,
      candidates: options.candidates ?? 6,
      keep: options.keep ?? 3,
      ttlMs: options.ttlMs ?? 10 * 60_000,
      cacheStore: options.cacheStore ?? new Map(),
    };
  }

  /** A fresh program on the same backends and retrieve cache (for optimizers' copies). */
  clone(): ResearchAssistant {
    const copy = new ResearchAssistant(this.#backends, this.#options);
    copy.loadState(this.dumpState());
    return copy;
  }

  protected steps(): StepLike[] {
    const { depth, candidates, keep, ttlMs, cacheStore } = this.#options;
    const retrievers = Object.entries(this.#backends).map(([name, r]) =>
      step(name, async (s) => {
        const filters = s.filters as Filters;
        const text = [String(s.query), ...((s.refined_queries as string[] | undefined) ?? [])].join(" ");
        const useFilters = r.supportsFilters === true && Object.keys(filters).length > 0;
        return { [name]: await r.retrieve(text, depth, useFilters ? { filters } : {}) };
      }),
    );
    return [
      step("parse", (s) => parseQuery(String(s.question))),
      pythonStep("refine", this.refine, {
        inputs: (s) => ({ question: s.query, search_terms: s.search_terms }),
        outputs: (r) => ({ refined_queries: r.refined_queries, strategy: r.strategy }),
      }),
      cached(
        parallel("retrieve", retrievers, {
          merge: (byName) => {
            const lists = Object.fromEntries(
              Object.entries(byName).map(([name, out]) => [name, out[name] as Passage[]]),
            );
            return { fused: reciprocalRankFusion(lists, { limit: candidates }), hits: lists };
          },
        }),
        { ttlMs, store: cacheStore, name: "retrieve" },
      ),
      step("rerank", async (s) => {
        // Filters a backend could not apply (DSPy's Embeddings) are applied to the fused list here.
        const filters = Object.entries(s.filters as Filters);
        const fused = (s.fused as Passage[]).filter((p) =>
          filters.every(([k, v]) => (Array.isArray(v) ? v : [v]).includes(p.metadata?.[k] as never)),
        );
        const ranked = await this.rerank.call({ question: String(s.query), passages: fused.map((p) => p.text) });
        return { passages: reorder(fused, ranked.ranking as unknown).slice(0, keep) };
      }),
      step("attempts", async (s) => {
        const p = await this.attempt.call({ question: String(s.query), passages: texts(s) });
        return { attempts: p.completions.slice(0, 3) };
      }),
      pythonStep("compare", this.compare, {
        inputs: (s) => ({ question: s.query, passages: texts(s), completions: padAttempts(s.attempts as Fields[]) }),
        outputs: (r) => ({ answer: r.answer, rationale: r.rationale }),
      }),
      step("format", (s) => formatMarkdown(String(s.answer ?? ""), s.passages as Passage[])),
    ];
  }

  protected override output(result: PipelineResult): Fields {
    const s = result.output;
    return {
      answer: s.answer,
      markdown: s.markdown,
      citations: s.citations,
      sources: (s.passages as Passage[]).map((p) => p.id),
      refined_queries: s.refined_queries,
    };
  }
}

function texts(s: Fields): string[] {
  return (s.passages as Passage[]).map((p) => (p.title ? `${p.title}: ${p.text}` : p.text));
}

/** The reranker's numbers first (1-based, in range, once each), then the fused order for the rest. */
export function reorder(passages: readonly Passage[], ranking: unknown): Passage[] {
  const picked: number[] = [];
  for (const n of Array.isArray(ranking) ? ranking : []) {
    const i = Number(n) - 1;
    if (Number.isInteger(i) && i >= 0 && i < passages.length && !picked.includes(i)) picked.push(i);
  }
  for (let i = 0; i < passages.length; i++) if (!picked.includes(i)) picked.push(i);
  return picked.map((i) => passages[i]!);
}

/** MultiChainComparison compares exactly M attempts; a short list (a failed sample) repeats the last. */
function padAttempts(attempts: readonly Fields[]): Fields[] {
  const out = [...attempts];
  while (out.length < 3 && out.length > 0) out.push(out[out.length - 1]!);
  return out;
}

/** Credit when the gold answer appears in the predicted answer (normalized as DSPy's EM). */
export function answerContains(example: Example, prediction: Prediction): number {
  const gold = normalizeText(String(example.answer ?? ""));
  const got = normalizeText(String(prediction.answer ?? ""));
  return gold !== "" && got.includes(gold) ? 1 : 0;
}

/** recall@k of each retriever (and of their RRF fusion) on labelled queries: hits in the top k / relevant. */
export async function measureRecall(
  backends: Record<string, Retriever>,
  queries: readonly { query: string; relevant: string[] }[],
  k: number,
): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  let relevant = 0;
  for (const q of queries) {
    const { query, filters } = parseQuery(q.query);
    relevant += q.relevant.length;
    const lists: Record<string, Passage[]> = {};
    for (const [name, r] of Object.entries(backends)) {
      const useFilters = r.supportsFilters === true && Object.keys(filters).length > 0;
      lists[name] = await r.retrieve(query, Math.max(k, 8), useFilters ? { filters } : {});
    }
    lists.fusion = reciprocalRankFusion(lists, { limit: k });
    for (const [name, list] of Object.entries(lists)) {
      const top = new Set(list.slice(0, k).map((p) => p.id));
      found[name] = (found[name] ?? 0) + q.relevant.filter((id) => top.has(id)).length;
    }
  }
  return Object.fromEntries(Object.entries(found).map(([n, f]) => [n, f / relevant]));
}

export const metric = answerContains;
export const inputKeys = ["question"];

/** For `dspex run|eval examples/research-pipeline.ts`: the embedded backends, opened on first use. */
export default async function program(): Promise<ResearchAssistant> {
  const { backends } = await openBackends();
  return new ResearchAssistant(backends);
}
