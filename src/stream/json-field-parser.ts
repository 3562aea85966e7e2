/**
 * Routes JSONAdapter text to output fields as it arrives: a small incremental scanner over the
 * top-level JSON object. A string value streams decoded (its chunks join to the string); any
 * other value streams as its raw JSON text (`0.9`, `["a", "b"]`). Text before the object (a
 * ```json fence) and after it is ignored. The final Prediction still comes from JSONAdapter.parse,
 * with its repairs; this scanner only has to be right for well-formed output.
 */
import { isPySpace } from "../py/builtins.js";
import type { FieldParser, FieldPiece } from "./types.js";

type State = "before" | "key" | "inKey" | "colon" | "valueStart" | "inString" | "inRaw" | "after" | "done";

const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

export class JSONFieldParser implements FieldParser {
  readonly #outputs: ReadonlySet<string>;
  readonly #wanted: ReadonlySet<string>;
  readonly #seen = new Set<string>();
  #state: State = "before";
  #key = "";
  #escape: string | undefined;
  #current: string | undefined;
  #pending = "";
  #held = "";
  /** Nesting inside a raw value, and whether the scanner is inside one of its strings. */
  #depth = 0;
  #rawString = false;
  #rawEscape = false;
  #out: FieldPiece[] = [];

  constructor(outputs: Iterable<string>, wanted: Iterable<string>) {
    this.#outputs = new Set(outputs);
    this.#wanted = new Set(wanted);
  }

  feed(delta: string): FieldPiece[] {
    this.#out = [];
    for (const ch of delta) this.#char(ch);
    if (this.#current !== undefined && this.#pending !== "") {
      this.#out.push({ field: this.#current, chunk: this.#pending, isLast: false });
      this.#pending = "";
    }
    return this.#out;
  }

  end(): FieldPiece[] {
    this.#out = [];
    this.#close();
    this.#state = "done";
    return this.#out;
  }

  #char(ch: string): void {
    switch (this.#state) {
      case "before":
        if (ch === "{") this.#state = "key";
        return;
      case "key":
        if (ch === '"') {
          this.#state = "inKey";
          this.#key = "";
        } else if (ch === "}") this.#state = "done";
        return;
      case "inKey": {
        const decoded = this.#decode(ch);
        if (decoded === null) {
          this.#state = "colon";
        } else if (decoded !== undefined) this.#key += decoded;
        return;
      }
      case "colon":
        if (ch === ":") this.#state = "valueStart";
        return;
      case "valueStart":
        if (isPySpace(ch)) return;
        this.#open();
        if (ch === '"') this.#state = "inString";
        else {
          this.#state = "inRaw";
          this.#depth = 0;
          this.#rawString = false;
          this.#rawEscape = false;
          this.#raw(ch);
        }
        return;
      case "inString": {
        const decoded = this.#decode(ch);
        if (decoded === null) {
          this.#close();
          this.#state = "after";
        } else if (decoded !== undefined) this.#pending += decoded;
        return;
      }
      case "inRaw":
        this.#raw(ch);
        return;
      case "after":
        if (ch === ",") this.#state = "key";
        else if (ch === "}") this.#state = "done";
        return;
      case "done":
        return;
    }
  }

  /** One character of a JSON string: its decoded text, "" while an escape is incomplete, null at the closing quote. */
  #decode(ch: string): string | null | undefined {
    if (this.#escape !== undefined) {
      this.#escape += ch;
      if (this.#escape.length === 1) {
        if (ch === "u") return undefined;
        this.#escape = undefined;
        return ESCAPES[ch] ?? ch;
      }
      if (this.#escape.length < 5) return undefined;
      const code = Number.parseInt(this.#escape.slice(1), 16);
      this.#escape = undefined;
      return Number.isNaN(code) ? "" : String.fromCharCode(code);
    }
    if (ch === "\\") {
      this.#escape = "";
      return undefined;
    }
    return ch === '"' ? null : ch;
  }

  #raw(ch: string): void {
    if (this.#rawString) {
      if (this.#rawEscape) this.#rawEscape = false;
      else if (ch === "\\") this.#rawEscape = true;
      else if (ch === '"') this.#rawString = false;
    } else if (ch === '"') this.#rawString = true;
    else if (ch === "[" || ch === "{") this.#depth++;
    else if ((ch === "]" || ch === "}") && this.#depth > 0) this.#depth--;
    else if (this.#depth === 0 && (ch === "," || ch === "}")) {
      this.#held = "";
      this.#close();
      this.#state = ch === "," ? "key" : "done";
      return;
    }
    if (isPySpace(ch) && !this.#rawString) {
      this.#held += ch;
      return;
    }
    this.#pending += this.#held + ch;
    this.#held = "";
  }

  #open(): void {
    const key = this.#key;
    if (this.#outputs.has(key) && !this.#seen.has(key)) {
      this.#seen.add(key);
      this.#current = this.#wanted.has(key) ? key : undefined;
    } else this.#current = undefined;
    this.#pending = "";
    this.#held = "";
  }

  #close(): void {
    if (this.#current !== undefined) this.#out.push({ field: this.#current, chunk: this.#pending, isLast: true });
    this.#current = undefined;
    this.#pending = "";
    this.#held = "";
  }
}
