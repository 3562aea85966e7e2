/**
 * Incremental Server-Sent Events parser (WHATWG rules: any of CRLF/LF/CR ends a line, a blank
 * line dispatches, `:` lines are comments, repeated `data:` lines join with "\n").
 * Network reads split events anywhere, even inside a UTF-8 sequence or a CRLF pair.
 */

export interface SSEEvent {
  /** The `event:` field; undefined means the default "message". */
  event: string | undefined;
  data: string;
}

export class SSEParser {
  private readonly decoder = new TextDecoder();
  private buffer = "";
  private dataLines: string[] = [];
  private eventName: string | undefined;
  private sawField = false;

  feed(chunk: Uint8Array | string): SSEEvent[] {
    this.buffer += typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /** Flushes at end of input. An event without its closing blank line is incomplete and dropped. */
  end(): { events: SSEEvent[]; incomplete: boolean } {
    this.buffer += this.decoder.decode();
    const events = this.drain(true);
    const incomplete = this.buffer.length > 0 || this.sawField;
    this.buffer = "";
    this.dataLines = [];
    this.eventName = undefined;
    this.sawField = false;
    return { events, incomplete };
  }

  private drain(final: boolean): SSEEvent[] {
    const events: SSEEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      // A CR at the very end may be the first half of a CRLF split across reads.
      if (ch === 13 && i === this.buffer.length - 1 && !final) break;
      const line = this.buffer.slice(start, i);
      if (ch === 13 && this.buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string): SSEEvent | undefined {
    if (line === "") {
      if (!this.sawField) return undefined;
      const event = { event: this.eventName, data: this.dataLines.join("\n") };
      this.dataLines = [];
      this.eventName = undefined;
      this.sawField = false;
      return event;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.dataLines.push(value);
      this.sawField = true;
    } else if (field === "event") {
      this.eventName = value;
      this.sawField = true;
    }
    return undefined;
  }
}
