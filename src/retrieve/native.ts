/**
 * An in-memory embeddings retriever in TypeScript: embeds the corpus once with any TextEmbedder,
 * then ranks by cosine similarity (exact top-k, ties broken by corpus order, as a stable sort of
 * DSPy's scores would). It suits corpora that fit in memory; DSPy's FAISS path is for larger ones.
 */
import { ConfigurationError } from "../errors.js";
import type { Passage, Retriever, TextEmbedder } from "./retriever.js";

export interface NativeEmbeddingsOptions {
  corpus: readonly string[];
  embedder: TextEmbedder;
  /** Default number of passages (DSPy's Embeddings default: 5). */
  k?: number;
}

export class EmbeddingsRetriever implements Retriever {
  readonly corpus: readonly string[];
  readonly k: number;
  readonly #embedder: TextEmbedder;
  #index: Promise<Float32Array[]> | undefined;
  #dim = 0;

  constructor(options: NativeEmbeddingsOptions) {
    if (!Array.isArray(options.corpus) || options.corpus.some((p) => typeof p !== "string")) {
      throw new ConfigurationError("`corpus` must be an array of strings");
    }
    if (typeof options.embedder?.embed !== "function") {
      throw new ConfigurationError("`embedder` must have an `embed(texts)` method");
    }
    this.corpus = [...options.corpus];
    this.k = checkK(options.k ?? 5);
    this.#embedder = options.embedder;
  }

  /** Embeds the corpus (done on first retrieve otherwise). */
  index(): Promise<Float32Array[]> {
    this.#index ??= this.embedNormalized(this.corpus).then((vectors) => {
      this.#dim = vectors[0]?.length ?? 0;
      return vectors;
    });
    this.#index.catch(() => {
      this.#index = undefined;
    });
    return this.#index;
  }

  async retrieve(query: string, k: number = this.k): Promise<Passage[]> {
    checkK(k);
    const corpus = await this.index();
    const [q] = await this.embedNormalized([query]);
    if (!q || (corpus.length > 0 && q.length !== this.#dim)) {
      throw new ConfigurationError(`The embedder gave a ${q?.length}-dim query vector for a ${this.#dim}-dim corpus`);
    }
    const scored = corpus.map((v, index) => ({ index, score: dot(q, v) }));
    scored.sort((a, b) => b.score - a.score || a.index - b.index);
    return scored.slice(0, k).map(({ index, score }) => ({ text: this.corpus[index] as string, score, index }));
  }

  private async embedNormalized(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const vectors = await this.#embedder.embed([...texts]);
    if (!Array.isArray(vectors) || vectors.length !== texts.length) {
      throw new ConfigurationError(`The embedder returned ${vectors?.length} vectors for ${texts.length} texts`);
    }
    return vectors.map((v) => normalize(Float32Array.from(v)));
  }
}

function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new ConfigurationError(`k must be a positive integer, got ${k}`);
  return k;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Unit length, with DSPy's floor on the norm so a zero vector stays zero instead of NaN. */
function normalize(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const norm = Math.max(Math.sqrt(n), 1e-10);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}
