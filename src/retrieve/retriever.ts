/**
 * The retriever interface every retriever implements, native or Python-backed: `retrieve(query, k)`
 * gives passages best first. Passages keep the retriever's score and, where there is one, the
 * corpus index or document id, so results from different retrievers can be compared.
 */

export interface Passage {
  text: string;
  /** Similarity or relevance score as the retriever computes it (higher is better). */
  score?: number;
  /** Position in the corpus the retriever was built from. */
  index?: number;
  /** The server's passage id (ColBERTv2's `pid`). */
  pid?: number | string;
  /** Anything else the retriever returned for this passage. */
  metadata?: Record<string, unknown>;
}

export interface Retriever {
  /** Top `k` passages for `query`, best first; `k` defaults to the retriever's own. */
  retrieve(query: string, k?: number, options?: { signal?: AbortSignal }): Promise<Passage[]>;
  /** Frees what the retriever holds (a Python session, an index). Safe to call twice. */
  close?(): Promise<void> | void;
}

/** Anything that embeds texts: a local model, an API client, a test double. */
export interface TextEmbedder {
  embed(texts: string[]): Promise<Float32Array[] | number[][]>;
}
