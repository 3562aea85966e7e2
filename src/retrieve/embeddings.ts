/** The embeddings side of retrieval: the Embedder interface, cosine ranking, the local MiniLM model. */
export { cosine, cosineTopK, type Embedder, type ScoredIndex } from "./embedder.js";
export {
  defaultEmbedderDir,
  EMBEDDER_DIR_NAME,
  EmbedderMissingError,
  LocalEmbedder,
  type LocalEmbedderOptions,
  localEmbedder,
  unloadLocalEmbedders,
} from "./local-embedder.js";
export { WordPieceTokenizer } from "./wordpiece.js";
