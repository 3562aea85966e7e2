/**
 * What every indexing retriever checks the same way: documents, filters, k, and the words of a
 * keyword query. One owner, so the backends cannot disagree on what a valid document or filter is.
 */
import { ConfigurationError, UnsupportedError } from "../errors.js";
import type { Document, FilterValue, Filters, Passage } from "./retriever.js";

/** A filter was passed to a retriever whose backend cannot apply it. */
export class FiltersNotSupportedError extends UnsupportedError {
  constructor(retriever: string, filters: Filters) {
    super(`${retriever} cannot apply metadata filters`, {
      context: { retriever, filters },
      fix: "filter with a retriever whose supportsFilters is true (SQLite FTS5, PostgreSQL, sqlite-vec, pgvector, EmbeddingsRetriever), or leave filters out",
    });
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkK(k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new ConfigurationError(`k must be a positive integer, got ${k}`);
  return k;
}

function isFilterValue(v: unknown): v is FilterValue {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

/** Validates documents before any is written, so a bad batch changes nothing. */
export function checkDocuments(docs: readonly Document[]): Document[] {
  if (!Array.isArray(docs)) throw new ConfigurationError("add() takes an array of documents");
  const seen = new Set<string>();
  return docs.map((doc, i) => {
    const where = `document ${i}`;
    if (typeof doc !== "object" || doc === null) throw new ConfigurationError(`${where} is not an object`);
    if (typeof doc.id !== "string" || doc.id === "") {
      throw new ConfigurationError(`${where} needs a non-empty string id`, {
        fix: 'pass { id: "doc-1", text: "..." }',
      });
    }
    if (seen.has(doc.id)) throw new ConfigurationError(`${where} repeats the id "${doc.id}" of an earlier one`);
    seen.add(doc.id);
    if (typeof doc.text !== "string") throw new ConfigurationError(`${where} (${doc.id}) needs a string text`);
    if (doc.title !== undefined && typeof doc.title !== "string") {
      throw new ConfigurationError(`${where} (${doc.id}) has a title that is not a string`);
    }
    for (const [key, value] of Object.entries(doc.metadata ?? {})) {
      if (!KEY.test(key)) {
        throw new ConfigurationError(`${where} (${doc.id}) has metadata key "${key}"`, {
          fix: "use keys made of letters, digits and _ (not starting with a digit)",
        });
      }
      if (!isFilterValue(value)) {
        throw new ConfigurationError(
          `${where} (${doc.id}) has metadata "${key}" that is not a string, number or boolean`,
        );
      }
    }
    return doc;
  });
}

/** Filters as [key, allowed values] pairs; throws on a key or value no backend could test. */
export function filterEntries(filters: Filters | undefined): [string, FilterValue[]][] {
  if (filters === undefined) return [];
  if (typeof filters !== "object" || filters === null || Array.isArray(filters)) {
    throw new ConfigurationError("filters must be an object of metadata key -> value or list of values");
  }
  return Object.entries(filters).map(([key, value]) => {
    if (!KEY.test(key)) {
      throw new ConfigurationError(`Filter key "${key}" is not a metadata key`, {
        fix: "use keys made of letters, digits and _ (not starting with a digit)",
      });
    }
    const values = Array.isArray(value) ? [...value] : [value];
    if (values.length === 0 || !values.every(isFilterValue)) {
      throw new ConfigurationError(`Filter "${key}" needs a string, number or boolean, or a non-empty list of them`, {
        context: { key, value },
      });
    }
    return [key, values as FilterValue[]];
  });
}

/** Whether a document's metadata passes the filters (for backends that filter in memory). */
export function matchesFilters(
  metadata: Record<string, FilterValue> | undefined,
  entries: [string, FilterValue[]][],
): boolean {
  return entries.every(([key, values]) => {
    const v = metadata?.[key];
    return v !== undefined && values.some((allowed) => allowed === v);
  });
}

/** A document as a retrieved passage (optional fields only where set). */
export function toPassage(doc: Document, score: number): Passage {
  return {
    text: doc.text,
    score,
    id: doc.id,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    ...(doc.metadata !== undefined && Object.keys(doc.metadata).length > 0 ? { metadata: { ...doc.metadata } } : {}),
  };
}

/** What an embedding retriever embeds for a document: its title (if any) with its text. */
export function embeddingText(doc: Document): string {
  return doc.title ? `${doc.title}: ${doc.text}` : doc.text;
}

/**
 * The words of a keyword query, lowercased, deduplicated, in order. Full-text backends OR them
 * (ranking then favours documents with more and rarer words), because a question's words are
 * never all in the passage that answers it, which an AND query would demand.
 */
export function queryWords(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => !STOPWORDS.has(w)))];
}

// Function words that carry no topic: dropping them keeps OR queries from matching everything.
const STOPWORDS = new Set(
  "a an the of in on at to for from by with and or not is are was were be been being do does did which what who whom whose when where why how that this these those it its as into than then there their they them his her he she we you your our i me my".split(
    " ",
  ),
);
