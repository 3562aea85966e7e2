/**
 * An in-memory embeddings retriever in TypeScript: embeds the corpus once with any TextEmbedder,
 * then ranks by cosine similarity (exact top-k, ties broken by corpus order, as a stable sort of
 * DSPy's scores would). It suits corpora that fit in memory; DSPy's FAISS path is for larger ones.
 * Documents can be added later (only they are embedded) and filtered by metadata in memory.
 */
import { ConfigurationError } from "../errors.js";
import { checkDocuments, checkK, embeddingText, filterEntries, matchesFilters } from "./documents.js";
import type { Document, Passage, RetrieveOptions, Retriever, TextEmbedder } from "./retriever.js";

export interface NativeEmbeddingsOptions {
  /** Texts to index now (ids are their positions); more can come through `add`. */
  corpus?: readonly string[];
  embedder: TextEmbedder;
  /** Default number of passages (DSPy's Embeddings default: 5). */
  k?: number;
}

interface Entry {
  doc: Document | undefined;
  text: string;
}

export class EmbeddingsRetriever implements Retriever {
  readonly supportsFilters = true;
  readonly k: number;
  readonly #embedder: TextEmbedder;
  readonly #entries: Entry[] = [];
  readonly #byId = new Map<string, number>();
  #vectors: Float32Array[] = [];
  #pending: Promise<void> = Promise.resolve();
  #embedded = 0;
  #dim = 0;
  #closed = false;

  constructor(options: NativeEmbeddingsOptions) {
    const corpus = options.corpus ?? [];
    if (!Array.isArray(corpus) || corpus.some((p) => typeof p !== "string")) {
      throw new ConfigurationError("`corpus` must be an array of strings");
    }
    if (typeof options.embedder?.embed !== "function") {
      throw new ConfigurationError("`embedder` must have an `embed(texts)` method");
    }
    for (const text of corpus) this.#entries.push({ doc: undefined, text });
    this.k = checkK(options.k ?? 5);
    this.#embedder = options.embedder;
  }

  /** The indexed texts, in corpus order. */
  get corpus(): readonly string[] {
    return this.#entries.map((e) => e.text);
  }

  /** Embeds what is not embedded yet (done on first retrieve otherwise). */
  async index(): Promise<Float32Array[]> {
    // Serialised, so concurrent callers neither embed twice nor see a half-built index.
    const run = this.#pending.then(async () => {
      if (this.#embedded === this.#entries.length) return;
      const upto = this.#entries.length;
      const fresh = await this.embedNormalized(this.#entries.slice(this.#embedded, upto).map((e) => e.text));
      this.#vectors = [...this.#vectors.slice(0, this.#embedded), ...fresh];
      this.#embedded = upto;
    });
    this.#pending = run.catch(() => undefined);
    await run;
    return this.#vectors;
  }

  async add(docs: readonly Document[]): Promise<void> {
    const checked = checkDocuments(docs);
    this.#open();
    await this.#pending;
    for (const doc of checked) {
      const at = this.#byId.get(doc.id);
      if (at !== undefined) {
        // A replaced document is re-embedded: drop the index from its position on.
        this.#entries[at] = { doc, text: embeddingText(doc) };
        this.#embedded = Math.min(this.#embedded, at);
      } else {
        this.#byId.set(doc.id, this.#entries.length);
        this.#entries.push({ doc, text: embeddingText(doc) });
      }
    }
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    checkK(k);
    const filters = filterEntries(options.filters);
    this.#open();
    const vectors = await this.index();
    if (vectors.length === 0) return [];
    const [q] = await this.embedNormalized([query]);
    if (!q || q.length !== this.#dim) {
      throw new ConfigurationError(`The embedder gave a ${q?.length}-dim query vector for a ${this.#dim}-dim corpus`);
    }
    const scored: { index: number; score: number }[] = [];
    vectors.forEach((v, index) => {
      const doc = this.#entries[index]!.doc;
      if (filters.length > 0 && !matchesFilters(doc?.metadata, filters)) return;
      scored.push({ index, score: dot(q, v) });
    });
    scored.sort((a, b) => b.score - a.score || a.index - b.index);
    return scored.slice(0, k).map(({ index, score }) => {
      const { doc, text } = this.#entries[index]!;
      if (doc === undefined) return { text, score, index };
      return {
        text: doc.text,
        score,
        index,
        id: doc.id,
        ...(doc.title !== undefined ? { title: doc.title } : {}),
        ...(doc.metadata !== undefined ? { metadata: { ...doc.metadata } } : {}),
      };
    });
  }

  /** Drops the index; the retriever cannot be used after. */
  close(): void {
    this.#closed = true;
    this.#vectors = [];
  }

  #open(): void {
    if (this.#closed) throw new ConfigurationError("This retriever was closed", { fix: "create a new one" });
  }

  private async embedNormalized(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const vectors = await this.#embedder.embed([...texts]);
    if (!Array.isArray(vectors) || vectors.length !== texts.length) {
      throw new ConfigurationError(`The embedder returned ${vectors?.length} vectors for ${texts.length} texts`);
    }
    const out = vectors.map((v) => normalize(Float32Array.from(v)));
    this.#dim ||= out[0]?.length ?? 0;
    if (out.some((v) => v.length !== this.#dim)) {
      throw new ConfigurationError(`The embedder gave vectors of a width other than the index's ${this.#dim}`);
    }
    return out;
  }
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
