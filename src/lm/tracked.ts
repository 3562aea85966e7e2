import { type LMHistory, pythonTimestamp } from "./history.js";
import { scrubSecrets } from "./scrub.js";
import { generateWith, streamWith } from "./compat.js";
import type { LM, LMRequest, LMResponse, MessageContent, Usage } from "./types.js";
import type { UsageTracker } from "./usage.js";

export interface TrackingOptions {
  history?: LMHistory;
  usage?: UsageTracker;
  /** Strings (credentials) removed from messages and outputs before they enter the history. */
  secrets?: readonly (string | undefined)[];
  /** Clock for timestamps and durations (tests pass a fixed one). */
  now?: () => Date;
}

/**
 * Wraps an LM so that each call lands in a LMHistory and a UsageTracker. Tracking composes
 * around providers rather than living in them, so every provider (and the cache) gets it alike.
 */
export function withTracking(lm: LM, options: TrackingOptions): LM {
  const now = options.now ?? (() => new Date());
  const secrets = options.secrets ?? [];
  const clean = (text: string): string =>
    secrets.length === 0 ? text : scrubSecrets(text, secrets, { fragments: false });

  const cleanContent = (content: MessageContent): MessageContent =>
    typeof content === "string"
      ? clean(content)
      : content.map((part) => (part.type === "text" ? { type: "text", text: clean(part.text) } : part));

  const record = (request: LMRequest, response: LMResponse, started: Date): void => {
    options.usage?.record(response, lm.provider);
    options.history?.add({
      timestamp: pythonTimestamp(started),
      model: response.model,
      provider: lm.provider,
      messages: request.messages.map((m) => ({ role: m.role, content: cleanContent(m.content) })),
      outputs: response.outputs.map(clean),
      usage: { ...response.usage },
      cached: response.cached,
      durationMs: now().getTime() - started.getTime(),
    });
  };

  const tracked: LM = {
    specificationVersion: "v2",
    provider: lm.provider,
    model: lm.model,
    ...(lm.defaults === undefined ? {} : { defaults: lm.defaults }),
    ...(lm.supportsFunctionCalling === undefined ? {} : { supportsFunctionCalling: lm.supportsFunctionCalling }),
    async generate(request) {
      const started = now();
      const response = await generateWith(lm, request);
      record(request, response, started);
      return response;
    },
    async *stream(request) {
      const started = now();
      const texts: string[] = [];
      let usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
      for await (const chunk of streamWith(lm, request)) {
        texts[chunk.index] = (texts[chunk.index] ?? "") + chunk.delta;
        if (chunk.usage !== undefined) usage = chunk.usage;
        yield chunk;
      }
      const outputs = Array.from(texts, (t) => t ?? "");
      record(request, { outputs, usage, model: lm.model, cached: false }, started);
    },
  };
  return tracked;
}
