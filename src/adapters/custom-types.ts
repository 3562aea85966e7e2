/**
 * DSPy's splitting of user messages around custom types (`_expand_legacy_custom_type_markers_
 * in_chat_message`): the text between `<<CUSTOM-TYPE-START-IDENTIFIER>>` and
 * `<<CUSTOM-TYPE-END-IDENTIFIER>>` is a JSON list of content parts, which replaces the marker;
 * the text around it stays as text parts (so a list[Image] keeps its `["`, `", "`, `"]`).
 *
 * DSPy serializes each value's parts to JSON and parses them back. We write a short token into
 * the text instead and put the value's own frozen parts in its place: the same messages, without
 * re-encoding a megabyte data URI twice per call, and with part objects whose identity lets the
 * cache key hash their bytes once. Marker text we did not write (a user typing the markers)
 * goes through DSPy's own parsing.
 */
import { CUSTOM_TYPE_END, CUSTOM_TYPE_START, type MediaValue } from "../media/base.js";
import type { ContentPart, MessageContent } from "../lm/types.js";
import { repairJsonLoads } from "../py/json-repair.js";
import { pyStr, pyStrip, toPlain } from "../py/builtins.js";

const MARKER = /<<CUSTOM-TYPE-START-IDENTIFIER>>([\s\S]*?)<<CUSTOM-TYPE-END-IDENTIFIER>>/g;
let nonces = 0;

/** Collects the media values one `format()` call writes into user messages. */
export class MediaSink {
  readonly values: MediaValue[] = [];
  // Distinct per sink so that marker text in user inputs can never name one of our values. Made
  // with the first token: most calls format no media, and a sink is made on every format().
  private prefix: string | undefined = undefined;

  /** The text standing in for `value` until the message is split. */
  token(value: MediaValue): string {
    this.prefix ??= `dspex-media:${(++nonces).toString(36)}.${Math.random().toString(36).slice(2, 10)}:`;
    this.values.push(value);
    return `${CUSTOM_TYPE_START}${this.prefix}${this.values.length - 1}${CUSTOM_TYPE_END}`;
  }

  lookup(payload: string): MediaValue | undefined {
    // No token yet: no payload can name one of this sink's values.
    if (this.prefix === undefined || !payload.startsWith(this.prefix)) return undefined;
    return this.values[Number(payload.slice(this.prefix.length))];
  }
}

/** A user message's content: unchanged when it holds no marker, else text and media parts. */
export function splitCustomTypes(text: string, sink: MediaSink | undefined): MessageContent {
  if (!text.includes(CUSTOM_TYPE_START)) return text;
  const parts: ContentPart[] = [];
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    const start = match.index;
    if (start > last) parts.push({ type: "text", text: text.slice(last, start) });
    const payload = pyStrip(match[1]!);
    const value = sink?.lookup(payload);
    if (value !== undefined) parts.push(...value.format());
    else parts.push(...payloadParts(payload));
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ type: "text", text: text.slice(last) });
  return parts;
}

/** DSPy's `_legacy_custom_type_payload_to_blocks`: json, doubly-quoted json, then json_repair. */
function payloadParts(payload: string): ContentPart[] {
  const parsed = parsePayload(payload);
  if (!Array.isArray(parsed)) return [{ type: "text", text: payload }];
  return parsed.map((block) =>
    block !== null && typeof block === "object" && !Array.isArray(block)
      ? (block as ContentPart)
      : { type: "text", text: pyStr(block) },
  );
}

function parsePayload(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {}
  try {
    return JSON.parse(JSON.parse(`"${payload}"`) as string);
  } catch {}
  try {
    return toPlain(repairJsonLoads(payload));
  } catch {
    return undefined;
  }
}
