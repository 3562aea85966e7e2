/**
 * The design's research assistant, adapted to run offline: parse the question into a search
 * query, refine it with chain of thought, retrieve passages with a real embedding model, and
 * answer with citations. Exported for `dspex run|eval|optimize examples/research-assistant.ts`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ChainOfThought,
  EmbeddingsRetriever,
  type Example,
  type Fields,
  localEmbedder,
  Module,
  normalizeText,
  Predict,
  Prediction,
  type Retriever,
} from "../src/index.js";

export interface CorpusEntry {
  id: string;
  title: string;
  text: string;
}

const DATA = join(import.meta.dirname, "data");

export function loadJSONL<T>(name: string): T[] {
  return readFileSync(join(DATA, name), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

export const corpus = loadJSONL<CorpusEntry>("corpus.jsonl");

/** One retriever for the process: the corpus is embedded once, on first use. */
let shared: EmbeddingsRetriever | undefined;
export function corpusRetriever(): EmbeddingsRetriever {
  shared ??= new EmbeddingsRetriever({
    corpus: corpus.map((c) => `${c.title}: ${c.text}`),
    embedder: localEmbedder(),
    k: 3,
  });
  return shared;
}

export class ResearchAssistant extends Module {
  // Short outputs keep the small embedded model on task; the local provider fits its layout
  // grammar into each cap, so every field still gets written.
  readonly parse = new Predict("question -> search_query", { maxTokens: 48 });
  readonly refine = new ChainOfThought("question, search_query -> refined_query", { maxTokens: 96 });
  readonly answer = new ChainOfThought("question, passages: list[str] -> answer, citations: list[int]", {
    maxTokens: 128,
  });

  constructor(private readonly retriever: Retriever = corpusRetriever()) {
    super();
  }

  async forward(inputs: Fields): Promise<Prediction> {
    const question = String(inputs.question);
    const parsed = await this.parse.call({ question });
    const refined = await this.refine.call({ question, search_query: parsed.search_query });
    const hits = await this.retriever.retrieve(`${question} ${String(refined.refined_query ?? "")}`, 3);
    const passages = hits.map((h) => h.text);
    const answered = await this.answer.call({ question, passages });
    const sources = hits.map((h) => corpus[h.index ?? -1]?.id ?? "?");
    return new Prediction({ ...answered.toDict(), search_query: parsed.search_query, sources });
  }
}

/** Credit when the gold answer appears in the predicted answer (normalized as DSPy's EM). */
export function answerContains(example: Example, prediction: Prediction): number {
  const gold = normalizeText(String(example.answer ?? ""));
  const got = normalizeText(String(prediction.answer ?? ""));
  return gold !== "" && got.includes(gold) ? 1 : 0;
}

export const metric = answerContains;
export const inputKeys = ["question"];
export default ResearchAssistant;
