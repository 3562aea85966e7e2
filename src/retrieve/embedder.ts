/**
 * What retrieval needs from an embedding model, and the exact cosine ranking over its vectors.
 * `Embedder` is a `TextEmbedder` (retriever.ts) that also says its width, so an index can be
 * sized and checked before the first vector arrives.
 */

export interface Embedder {
  /** One vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
}

export interface ScoredIndex {
  index: number;
  score: number;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  // A zero vector (a text of unknown words) matches nothing rather than poisoning scores with NaN.
  const denom = Math.sqrt(na) * Math.sqrt(nb);
  return denom === 0 ? 0 : dot / denom;
}

/** The `k` vectors most similar to `query`, best first; ties keep corpus order. */
export function cosineTopK(query: Float32Array, vectors: readonly Float32Array[], k: number): ScoredIndex[] {
  const scored = vectors.map((v, index) => ({ index, score: cosine(query, v) }));
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, Math.max(0, k));
}
