/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): a passage scores
 * sum(1 / (c + rank)) over the lists it appears in, rank counted from 1. Scores of different
 * retrievers are not comparable (bm25, ts_rank, cosine); ranks are, which is why fusion uses them.
 */
import { ConfigurationError } from "../errors.js";
import { checkK } from "./documents.js";
import type { Document, Passage, RetrieveOptions, Retriever } from "./retriever.js";

export interface FusionOptions {
  /** RRF's constant; default 60, the paper's. */
  c?: number;
  /** Passages to keep; default all. */
  limit?: number;
}

/** Fused passages carry their RRF score and, in metadata.ranks, their rank in each named list. */
export function reciprocalRankFusion(
  lists: Record<string, readonly Passage[]>,
  options: FusionOptions = {},
): Passage[] {
  const c = options.c ?? 60;
  if (!(c >= 0)) throw new ConfigurationError(`RRF's constant must be >= 0, got ${c}`);
  const fused = new Map<string, { passage: Passage; score: number; ranks: Record<string, number>; first: number }>();
  let order = 0;
  for (const [source, list] of Object.entries(lists)) {
    list.forEach((p, i) => {
      // Documents are keyed by id; passages without one (a server's index) by their text.
      const key = p.id !== undefined ? `id:${p.id}` : `text:${p.text}`;
      const entry = fused.get(key) ?? { passage: p, score: 0, ranks: {}, first: order++ };
      if (entry.ranks[source] === undefined) {
        entry.ranks[source] = i + 1;
        entry.score += 1 / (c + i + 1);
      }
      fused.set(key, entry);
    });
  }
  const ranked = [...fused.values()].sort((a, b) => b.score - a.score || a.first - b.first);
  const kept = options.limit === undefined ? ranked : ranked.slice(0, checkK(options.limit));
  return kept.map(({ passage, score, ranks }) => ({
    ...passage,
    score,
    metadata: { ...(passage.metadata ?? {}), ranks },
  }));
}

export interface FusionRetrieverOptions extends FusionOptions {
  /** How many passages to ask each retriever for; default 2 * k. */
  depth?: number;
  k?: number;
}

/**
 * Several retrievers as one: each is asked concurrently, their lists fused by RRF. `add` goes to
 * every retriever that indexes; filters go to all of them (one that cannot filter throws).
 */
export class FusionRetriever implements Retriever {
  readonly k: number;
  readonly retrievers: Readonly<Record<string, Retriever>>;
  readonly #options: FusionRetrieverOptions;

  constructor(retrievers: Record<string, Retriever>, options: FusionRetrieverOptions = {}) {
    if (Object.keys(retrievers).length === 0)
      throw new ConfigurationError("FusionRetriever needs at least one retriever");
    this.retrievers = { ...retrievers };
    this.k = checkK(options.k ?? 5);
    this.#options = options;
  }

  get supportsFilters(): boolean {
    return Object.values(this.retrievers).every((r) => r.supportsFilters === true);
  }

  async add(docs: readonly Document[]): Promise<void> {
    await Promise.all(Object.values(this.retrievers).map((r) => r.add?.(docs)));
  }

  async retrieve(query: string, k: number = this.k, options: RetrieveOptions = {}): Promise<Passage[]> {
    const depth = this.#options.depth ?? 2 * checkK(k);
    const names = Object.keys(this.retrievers);
    const lists = await Promise.all(names.map((n) => this.retrievers[n]!.retrieve(query, depth, options)));
    return reciprocalRankFusion(Object.fromEntries(names.map((n, i) => [n, lists[i]!])), {
      ...(this.#options.c !== undefined ? { c: this.#options.c } : {}),
      limit: k,
    });
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.retrievers).map((r) => r.close?.()));
  }
}
