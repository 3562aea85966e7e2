/**
 * Routes ChatAdapter text to output fields as it arrives, with the rules ChatAdapter.parse
 * applies to the whole completion: a `[[ ## name ## ]]` header counts only at the start of a
 * (left-stripped) line, the first section of a field wins, and values are stripped. So the
 * chunks of a field, joined, equal the text that parse() reads for it. A line that may still
 * become a header is held back until it is decided; trailing whitespace is held until more
 * text follows, so header boilerplate never leaks into chunks.
 */
import { isPySpace, pyLstrip } from "../py/builtins.js";
import type { FieldParser, FieldPiece } from "./types.js";

const HEADER = /^\[\[ ## ([\p{L}\p{N}_]+) ## \]\]/u;
/** A left-stripped line that could still grow into a header. */
const PARTIAL_HEADER = /^\[\[ ## (?:[\p{L}\p{N}_]+(?: (?:#(?:#(?: \]?)?)?)?)?)?$/u;
const OPENER = "[[ ## ";
/** Python's splitlines boundaries (\r\n is one, handled by skipping the \n). */
const BREAK = /[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPySpace(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}

export class ChatFieldParser implements FieldParser {
  readonly #outputs: ReadonlySet<string>;
  readonly #wanted: ReadonlySet<string>;
  readonly #seen = new Set<string>();
  #current: string | undefined;
  #started = false;
  #held = "";
  #pending = "";
  /** The raw current line while it may still be a header; undefined once it is known to be text. */
  #line: string | undefined = "";
  #skipLF = false;
  #out: FieldPiece[] = [];

  /** `outputs`: the signature's output fields; `wanted`: those whose chunks to report. */
  constructor(outputs: Iterable<string>, wanted: Iterable<string>) {
    this.#outputs = new Set(outputs);
    this.#wanted = new Set(wanted);
  }

  feed(delta: string): FieldPiece[] {
    this.#out = [];
    let i = 0;
    while (i < delta.length) {
      const ch = delta[i]!;
      if (this.#skipLF) {
        this.#skipLF = false;
        if (ch === "\n") {
          i++;
          continue;
        }
      }
      if (BREAK.test(ch)) {
        if (this.#line !== undefined) this.#content(this.#line);
        this.#content("\n");
        this.#line = "";
        this.#skipLF = ch === "\r";
        i++;
      } else if (this.#line !== undefined) {
        this.#line += ch;
        this.#decide();
        i++;
      } else {
        // Known text up to the next line break: take it in one piece.
        const rest = delta.slice(i);
        const m = BREAK.exec(rest);
        const run = m === null ? rest : rest.slice(0, m.index);
        this.#content(run);
        i += run.length;
      }
    }
    this.#flush();
    return this.#out;
  }

  end(): FieldPiece[] {
    this.#out = [];
    if (this.#line) this.#content(this.#line);
    this.#line = "";
    this.#close();
    return this.#out;
  }

  #decide(): void {
    const line = this.#line ?? "";
    const s = pyLstrip(line);
    if (s === "") return;
    const header = HEADER.exec(s);
    if (header !== null) {
      this.#line = undefined;
      this.#open(header[1]!);
      // As ChatAdapter: the unstripped line is sliced at the match's end in the stripped one.
      this.#content(line.slice(header[0].length));
      return;
    }
    if (OPENER.startsWith(s) || PARTIAL_HEADER.test(s)) return;
    this.#line = undefined;
    this.#content(line);
  }

  #open(name: string): void {
    this.#close();
    if (this.#outputs.has(name) && !this.#seen.has(name)) {
      this.#seen.add(name);
      this.#current = this.#wanted.has(name) ? name : undefined;
    }
  }

  #close(): void {
    if (this.#current === undefined) return;
    this.#out.push({ field: this.#current, chunk: this.#pending, isLast: true });
    this.#current = undefined;
    this.#pending = "";
    this.#held = "";
    this.#started = false;
  }

  #content(raw: string): void {
    if (this.#current === undefined || raw === "") return;
    const text = this.#started ? raw : pyLstrip(raw);
    if (text === "") return;
    const stripped = pyRstrip(text);
    if (stripped === "") {
      this.#held += text;
      return;
    }
    this.#pending += this.#held + stripped;
    this.#held = text.slice(stripped.length);
    this.#started = true;
  }

  #flush(): void {
    if (this.#current !== undefined && this.#pending !== "") {
      this.#out.push({ field: this.#current, chunk: this.#pending, isLast: false });
      this.#pending = "";
    }
  }
}
