export * from "./embeddings.js";
export { EmbeddingsRetriever, type NativeEmbeddingsOptions } from "./native.js";
export {
  type ColBERTv2Options,
  ColBERTv2Retriever,
  PythonEmbeddingsRetriever,
  type PythonEmbeddingsOptions,
  type RetrieverKind,
  retriever,
} from "./python-retrievers.js";
export type {
  Document,
  Filters,
  FilterValue,
  Passage,
  RetrieveOptions,
  Retriever,
  TextEmbedder,
} from "./retriever.js";
export { FiltersNotSupportedError } from "./documents.js";
export { FusionRetriever, type FusionOptions, type FusionRetrieverOptions, reciprocalRankFusion } from "./fusion.js";
export type { PgConnectionOptions, PgQueryable } from "./postgres.js";
export { PgFtsRetriever, type PgFtsOptions, pgFts } from "./pg-fts.js";
export { PgVectorRetriever, type PgVectorOptions, pgVector } from "./pgvector.js";
export { SqliteFtsRetriever, type SqliteFtsOptions, sqliteFts } from "./sqlite-fts.js";
export { SqliteVecRetriever, type SqliteVecOptions, sqliteVec } from "./sqlite-vec.js";
