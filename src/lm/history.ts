import { pyCapitalize, pyLstrip, pyStrip } from "../py/builtins.js";
import type { Message, MessageContent, Usage } from "./types.js";

export interface HistoryEntry {
  /** Local time in Python's datetime.isoformat() form, as DSPy records it. */
  timestamp: string;
  model: string;
  provider: string;
  messages: Message[];
  outputs: string[];
  usage: Usage;
  cached: boolean;
  durationMs: number;
}

/** A bounded record of LM calls: a ring buffer that drops the oldest entry once full. */
export class LMHistory {
  readonly cap: number;
  #buffer: (HistoryEntry | undefined)[];
  #start = 0;
  #size = 0;

  constructor(cap = 1000) {
    if (!Number.isInteger(cap) || cap < 1)
      throw new RangeError(`LMHistory cap must be a positive integer, got ${cap}.`);
    this.cap = cap;
    this.#buffer = new Array<HistoryEntry | undefined>(cap);
  }

  get size(): number {
    return this.#size;
  }

  add(entry: HistoryEntry): void {
    const slot = (this.#start + this.#size) % this.cap;
    this.#buffer[slot] = entry;
    if (this.#size < this.cap) this.#size++;
    else this.#start = (this.#start + 1) % this.cap;
  }

  /** Entries oldest first. */
  entries(): HistoryEntry[] {
    const out: HistoryEntry[] = [];
    for (let i = 0; i < this.#size; i++) {
      const entry = this.#buffer[(this.#start + i) % this.cap];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }

  /** The last n entries, oldest first (Python's history[-n:], so n <= 0 means all). */
  last(n: number): HistoryEntry[] {
    const all = this.entries();
    return n <= 0 ? all : all.slice(-n);
  }

  clear(): void {
    this.#buffer = new Array<HistoryEntry | undefined>(this.cap);
    this.#start = 0;
    this.#size = 0;
  }

  [Symbol.iterator](): Iterator<HistoryEntry> {
    return this.entries()[Symbol.iterator]();
  }
}

/** `datetime.datetime.now().isoformat()`: local time, microseconds unless they are zero. */
export function pythonTimestamp(date: Date = new Date()): string {
  const pad = (v: number, w = 2): string => String(v).padStart(w, "0");
  const base =
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const ms = date.getMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

export interface InspectOptions {
  /** ANSI colours as DSPy prints them to a terminal (default true). */
  colors?: boolean;
}

/**
 * The text DSPy's `inspect_history(n)` prints for the last n entries (pretty_print_history),
 * ANSI colours included unless `colors: false` (DSPy drops them when writing to a file).
 */
export function formatHistory(
  n: number,
  history: LMHistory | readonly HistoryEntry[],
  options: InspectOptions = {},
): string {
  const colors = options.colors ?? true;
  const paint = (code: string, text: string, end = "\n"): string =>
    colors ? `\x1b[${code}m${text}\x1b[0m${end}` : `${text}${end}`;
  const entries = history instanceof LMHistory ? history.last(n) : n <= 0 ? [...history] : history.slice(-n);
  let out = "";
  for (const entry of entries) {
    out += "\n\n\n\n";
    out += `${paint("34", `[${entry.timestamp}]`)}\n`;
    for (const message of entry.messages) {
      out += `${paint("31", `${pyCapitalize(message.role)} message:`)}\n`;
      out += contentLines(message.content, paint);
      out += "\n\n";
    }
    out += `${paint("31", "Response:")}\n`;
    out += `${paint("32", pyLstrip(pyStrip(entry.outputs[0] ?? "")))}\n`;
    if (entry.outputs.length > 1) {
      out += `${paint("31", ` \t (and ${entry.outputs.length - 1} other completions)`, "")}\n`;
    }
  }
  out += "\n\n\n\n";
  return out;
}

/** Writes formatHistory's text (to stdout unless `write` is given). */
export function printHistory(
  n: number,
  history: LMHistory | readonly HistoryEntry[],
  options: InspectOptions & { write?: (text: string) => void } = {},
): void {
  const text = formatHistory(n, history, options);
  if (options.write !== undefined) options.write(text);
  else process.stdout.write(text);
}

/** DSPy's printing of a message's content: text stripped, media as short placeholders. */
function contentLines(content: MessageContent, paint: (code: string, text: string) => string): string {
  if (typeof content === "string") return `${pyStrip(content)}\n`;
  let out = "";
  for (const part of content) {
    if (part.type === "text") out += `${pyStrip(part.text)}\n`;
    else if (part.type === "image_url") {
      const url = part.image_url.url ?? "";
      const at = url.indexOf("base64,");
      const shown =
        at >= 0 ? `<${url.slice(0, at)}base64,<IMAGE BASE 64 ENCODED(${base64Tail(url, at)})>` : `<image_url: ${url}>`;
      out += `${paint("34", pyStrip(shown))}\n`;
    } else if (part.type === "input_audio") {
      const shown = `<audio format='${part.input_audio.format}' base64-encoded, length=${part.input_audio.data.length}>`;
      out += `${paint("34", pyStrip(shown))}\n`;
    } else if (part.type === "file") {
      const f = part.file;
      const shown = `<file: name:${f.filename ?? ""}, id:${f.file_id ?? ""}, data_length:${(f.file_data ?? "").length}>`;
      out += `${paint("34", pyStrip(shown))}\n`;
    }
  }
  return out;
}

/** Python's `len(url.split("base64,")[1])`: up to the next "base64," if there is one. */
function base64Tail(url: string, at: number): number {
  const start = at + 7;
  const next = url.indexOf("base64,", start);
  return (next < 0 ? url.length : next) - start;
}
