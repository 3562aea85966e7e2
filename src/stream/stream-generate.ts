/**
 * Predict's streaming path: when a streamified program is consuming, the LM call goes through
 * `lm.stream()` and each delta is routed to output fields as it arrives; the joined text then
 * becomes an ordinary LMResponse, parsed and cached as if it came from `generate()`. As in DSPy,
 * a cache hit streams nothing (the Prediction still arrives), and predictors no listener asks
 * for do not stream at all.
 */
import { requestCacheKey } from "../cache/cached-lm.js";
import { streamWith } from "../lm/compat.js";
import type { LMResponse, ToolCall, Usage } from "../lm/types.js";
import { ChatFieldParser } from "./chat-field-parser.js";
import { JSONFieldParser } from "./json-field-parser.js";
import type { FieldParser, FieldPiece, StreamCall, StreamRoute, StreamSink } from "./types.js";

/** Runs `call` through `lm.stream()`, routing its text by `route`; a cache hit streams nothing. */
export async function streamGenerate(sink: StreamSink, route: StreamRoute, call: StreamCall): Promise<LMResponse> {
  const { lm, request, cache, cacheOptions } = call;
  const key = requestCacheKey(lm, request, cache, cacheOptions);
  if (key !== undefined && cache !== undefined) {
    const hit = await cache.get(key);
    if (hit !== undefined) return hit;
  }

  const outputs = call.signature.outputFields.map((f) => f.name);
  const parser: FieldParser =
    call.adapter.name === "json"
      ? new JSONFieldParser(outputs, route.fields)
      : new ChatFieldParser(outputs, route.fields);
  const texts: string[] = [];
  const finishReasons: (string | null)[] = [];
  const toolCalls: (ToolCall[] | undefined)[] = [];
  let usage: Usage | undefined;
  for await (const chunk of streamWith(lm, request)) {
    if (chunk.usage !== undefined) usage = chunk.usage;
    if (chunk.finishReason !== undefined) finishReasons[chunk.index] = chunk.finishReason;
    if (chunk.toolCalls !== undefined) toolCalls[chunk.index] = chunk.toolCalls;
    if (chunk.delta === "") continue;
    texts[chunk.index] = (texts[chunk.index] ?? "") + chunk.delta;
    if (sink.tokens) sink.emit({ type: "token", predictor: route.predictor, index: chunk.index, delta: chunk.delta });
    // Fields are routed from the first completion only, as DSPy's listeners read choices[0].
    if (chunk.index === 0) emitPieces(sink, route, parser.feed(chunk.delta));
    const wait = sink.drained();
    if (wait !== undefined) await wait;
  }
  emitPieces(sink, route, parser.end());

  const n = Math.max(request.n ?? 1, texts.length, 1);
  const response: LMResponse = {
    outputs: Array.from({ length: n }, (_, i) => texts[i] ?? ""),
    usage: usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    model: lm.model,
    cached: false,
    finishReasons: Array.from({ length: n }, (_, i) => finishReasons[i] ?? null),
  };
  if (toolCalls.length > 0) response.toolCalls = Array.from({ length: n }, (_, i) => toolCalls[i]);
  if (key !== undefined && cache !== undefined) void cache.set(key, response);
  return response;
}

function emitPieces(sink: StreamSink, route: StreamRoute, pieces: readonly FieldPiece[]): void {
  for (const piece of pieces) {
    sink.emit({
      type: "chunk",
      predictor: route.predictor,
      field: piece.field,
      chunk: piece.chunk,
      isLast: piece.isLast,
    });
    if (piece.isLast) route.onFieldEnd(piece.field);
  }
}
