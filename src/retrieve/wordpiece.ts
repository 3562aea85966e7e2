/**
 * BERT's uncased WordPiece tokenizer, as Hugging Face `tokenizers` runs it from a
 * tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] ... [SEP]). MiniLM was
 * trained on exactly these ids, so any drift here silently degrades retrieval; test/retrieve
 * checks the ids against the Python library's.
 */
import { readFileSync } from "node:fs";

export interface WordPieceEncoding {
  ids: number[];
}

interface TokenizerJSON {
  model: {
    vocab: Record<string, number>;
    unk_token?: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
  };
  normalizer?: { lowercase?: boolean; strip_accents?: boolean | null };
}

export class WordPieceTokenizer {
  readonly #vocab: Map<string, number>;
  readonly #unk: number;
  readonly #cls: number;
  readonly #sep: number;
  readonly #prefix: string;
  readonly #maxWordChars: number;
  readonly #lowercase: boolean;
  readonly #stripAccents: boolean;

  constructor(json: TokenizerJSON) {
    this.#vocab = new Map(Object.entries(json.model.vocab));
    const id = (token: string) => {
      const v = this.#vocab.get(token);
      if (v === undefined) throw new Error(`tokenizer.json has no ${token} token`);
      return v;
    };
    this.#unk = id(json.model.unk_token ?? "[UNK]");
    this.#cls = id("[CLS]");
    this.#sep = id("[SEP]");
    this.#prefix = json.model.continuing_subword_prefix ?? "##";
    this.#maxWordChars = json.model.max_input_chars_per_word ?? 100;
    this.#lowercase = json.normalizer?.lowercase ?? true;
    // BertNormalizer: strip_accents null means "follow lowercase".
    this.#stripAccents = json.normalizer?.strip_accents ?? this.#lowercase;
  }

  static fromFile(path: string): WordPieceTokenizer {
    return new WordPieceTokenizer(JSON.parse(readFileSync(path, "utf8")) as TokenizerJSON);
  }

  /** [CLS] tokens [SEP], truncated to `maxLength` ids in all. */
  encode(text: string, maxLength = 256): WordPieceEncoding {
    const ids: number[] = [];
    for (const word of this.#preTokenize(this.#normalize(text))) {
      for (const id of this.#wordPiece(word)) ids.push(id);
      if (ids.length >= maxLength - 2) break;
    }
    return { ids: [this.#cls, ...ids.slice(0, maxLength - 2), this.#sep] };
  }

  #normalize(text: string): string {
    let out = "";
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      if (isWhitespace(ch)) out += " ";
      else if (isChinese(cp)) out += ` ${ch} `;
      else out += ch;
    }
    if (this.#lowercase) out = out.toLowerCase();
    if (this.#stripAccents) out = out.normalize("NFD").replace(/\p{Mn}/gu, "");
    return out;
  }

  /** Whitespace split, then every punctuation character is a word of its own. */
  #preTokenize(text: string): string[] {
    const words: string[] = [];
    for (const chunk of text.split(" ")) {
      let current = "";
      for (const ch of chunk) {
        if (isPunctuation(ch)) {
          if (current !== "") words.push(current);
          words.push(ch);
          current = "";
        } else current += ch;
      }
      if (current !== "") words.push(current);
    }
    return words;
  }

  /** Greedy longest-match-first; a word with any unmatched piece becomes [UNK]. */
  #wordPiece(word: string): number[] {
    const chars = [...word];
    if (chars.length > this.#maxWordChars) return [this.#unk];
    const ids: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? this.#prefix : "") + chars.slice(start, end).join("");
        found = this.#vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [this.#unk];
      ids.push(found);
      start = end;
    }
    return ids;
  }
}

function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || /\p{Zs}/u.test(ch);
}

function isControl(ch: string): boolean {
  if (ch === "\t" || ch === "\n" || ch === "\r") return false;
  return /\p{Cc}|\p{Cf}/u.test(ch);
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  // BERT counts all non-alphanumeric ASCII as punctuation ($, ^, `), as Unicode does not.
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return /\p{P}/u.test(ch);
}

function isChinese(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
