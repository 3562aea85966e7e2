/**
 * The retriever interface every retriever implements, native or Python-backed: `retrieve(query, k)`
 * gives passages best first. Passages keep the retriever's score and, where there is one, the
 * corpus index or document id, so results from different retrievers can be compared and fused.
 * Retrievers that own an index also take documents (`add`) and, where the backend can, filters.
 */
export interface Passage {
  text: string;
  /** Similarity or relevance score as the retriever computes it (higher is better). */
  score?: number;
  /** Position in the corpus the retriever was built from. */
  index?: number;
  /** The document id given to `add` (stable across backends, which is what fusion keys on). */
  id?: string;
  title?: string;
  /** The server's passage id (ColBERTv2's `pid`). */
  pid?: number | string;
  /** Anything else the retriever returned for this passage (a document's metadata). */
  metadata?: Record<string, unknown>;
}

/** Metadata values a filter can test: scalars, matched by equality. */
export type FilterValue = string | number | boolean;

/** A document a retriever indexes. Ids are unique per retriever; adding an id again replaces it. */
export interface Document {
  id: string;
  text: string;
  title?: string;
  metadata?: Record<string, FilterValue>;
}

/**
 * Metadata filters: every key must match; a list matches any of its values
 * (`{ topic: "astronomy", year: [2020, 2021] }`).
 */
export type Filters = Record<string, FilterValue | readonly FilterValue[]>;

export interface RetrieveOptions {
  signal?: AbortSignal;
  /** Only on retrievers whose `supportsFilters` is true; others throw FiltersNotSupportedError. */
  filters?: Filters;
}

export interface Retriever {
  /** Top `k` passages for `query`, best first; `k` defaults to the retriever's own. */
  retrieve(query: string, k?: number, options?: RetrieveOptions): Promise<Passage[]>;
  /** Indexes documents (retrievers over a server's fixed index, such as ColBERTv2, have none). */
  add?(docs: readonly Document[]): Promise<void>;
  /** Whether `retrieve` applies `options.filters`. */
  readonly supportsFilters?: boolean;
  /** Frees what the retriever holds (a Python session, an index, a connection). Safe to call twice. */
  close?(): Promise<void> | void;
}

/** Anything that embeds texts: a local model, an API client, a test double. */
export interface TextEmbedder {
  embed(texts: string[]): Promise<Float32Array[] | number[][]>;
}
