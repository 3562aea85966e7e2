/**
 * Text normalisation exactly as DSPy's `normalize_text` and DPR tokenizer compute it. JavaScript's
 * built-ins differ from Python's in three places that change scores, so each is spelled out:
 * `\b` (ASCII-only in JS, Unicode in Python's `re`), `\s` / `split()` (different whitespace sets),
 * and punctuation (Python's `string.punctuation`, ASCII only).
 */

/** Python's `string.punctuation`. */
export const PY_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const PUNCTUATION = new Set(PY_PUNCTUATION);

/** The characters Python's `str.isspace()` accepts (JS `\s` adds U+FEFF and lacks U+001C-1F, U+0085). */
const PY_WHITESPACE = /[\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/**
 * Python `re`'s `\b(a|an|the)\b` on str patterns: a word character is one that `str.isalnum()`
 * accepts, or "_". Combining marks are not word characters, so "the\u0301" (NFD "thé") loses "the".
 */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** Python's `str.split()` with no arguments: runs of whitespace separate, ends are dropped. */
export function pySplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((t) => t.length > 0);
}

/**
 * DSPy's `normalize_text`: Unicode NFD, lowercase, drop ASCII punctuation, replace the articles
 * "a", "an", "the" with a space, then collapse whitespace.
 */
export function normalizeText(text: string): string {
  const lowered = text.normalize("NFD").toLowerCase();
  let unpunctuated = "";
  for (const ch of lowered) if (!PUNCTUATION.has(ch)) unpunctuated += ch;
  return pySplit(unpunctuated.replace(ARTICLES, " ")).join(" ");
}

/** DPR's SimpleTokenizer: runs of letters/numbers/marks, or any single non-separator, non-control character. */
const DPR_TOKEN = /[\p{L}\p{N}\p{M}]+|[^\p{Z}\p{C}]/gu;

/** DSPy's `DPR_normalize`: the lowercased tokens of the NFD text. */
export function dprNormalize(text: string): string[] {
  return Array.from(text.normalize("NFD").matchAll(DPR_TOKEN), (m) => m[0].toLowerCase());
}

/** DSPy's `has_answer`: whether any tokenized answer occurs as a contiguous token run in `text`. */
export function hasAnswer(tokenizedAnswers: readonly (readonly string[])[], text: string): boolean {
  const tokens = dprNormalize(text);
  for (const answer of tokenizedAnswers) {
    for (let i = 0; i <= tokens.length - answer.length; i++) {
      let match = true;
      for (let j = 0; j < answer.length; j++) {
        if (tokens[i + j] !== answer[j]) {
          match = false;
          break;
        }
      }
      if (match) return true;
    }
  }
  return false;
}
