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
export type { Passage, Retriever, TextEmbedder } from "./retriever.js";
