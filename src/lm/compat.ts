/**
 * The bridge between LM interface versions. Every call to an LM's generate/stream goes through
 * `generateWith`/`streamWith`, so a version 1 provider (string content only) never sees a
 * content part: text-only parts are joined back into the string the adapter split, and media
 * fails with a typed error naming the part, before the provider is called.
 */
import { LMUnsupportedContentError } from "./errors.js";
import type {
  ContentPart,
  LM,
  LMRequest,
  LMRequestV1,
  LMResponse,
  LMStreamChunk,
  LMV1,
  MessageContent,
  MessageV1,
} from "./types.js";

/** The text of a message's content: the string itself, or its text parts joined. */
export function contentText(content: MessageContent): string {
  if (typeof content === "string") return content;
  let out = "";
  for (const part of content) if (part.type === "text") out += part.text;
  return out;
}

/** The first part of `content` that is not text, if any. */
export function firstMediaPart(content: MessageContent): ContentPart | undefined {
  if (typeof content === "string") return undefined;
  return content.find((p) => p.type !== "text");
}

/** A request with string content only, or an LMUnsupportedContentError for the first media part. */
export function toV1Request(request: LMRequest, lm: Pick<LM, "provider" | "model">): LMRequestV1 {
  let changed = false;
  const messages: MessageV1[] = request.messages.map((m, index) => {
    if (typeof m.content === "string") return m as MessageV1;
    const media = firstMediaPart(m.content);
    if (media !== undefined) {
      throw new LMUnsupportedContentError(
        `${lm.provider} (${lm.model}) implements LM interface v1, which takes text only; message ${index} has a "${media.type}" part.`,
        { provider: lm.provider, model: lm.model, partType: media.type, context: { message: index } },
      );
    }
    changed = true;
    return { role: m.role, content: contentText(m.content) };
  });
  return changed ? { ...request, messages } : (request as LMRequestV1);
}

/** `lm.generate(request)`, with the request brought down to what the LM's version takes. */
export function generateWith(lm: LM, request: LMRequest): Promise<LMResponse> {
  if (lm.specificationVersion !== "v1") return lm.generate(request);
  try {
    return lm.generate(toV1Request(request, lm));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `lm.stream(request)`, with the request brought down to what the LM's version takes. */
export function streamWith(lm: LM, request: LMRequest): AsyncIterable<LMStreamChunk> {
  if (lm.specificationVersion !== "v1") return lm.stream(request);
  return lm.stream(toV1Request(request, lm));
}

/**
 * A version 2 LM from a version 1 provider: content parts are joined or refused (see
 * toV1Request), everything else passes through.
 */
export function fromV1(inner: LMV1): LM {
  return {
    specificationVersion: "v2",
    provider: inner.provider,
    model: inner.model,
    ...(inner.defaults === undefined ? {} : { defaults: inner.defaults }),
    ...(inner.cacheable === undefined ? {} : { cacheable: inner.cacheable }),
    generate: async (request) => inner.generate(toV1Request(request, inner)),
    async *stream(request) {
      yield* inner.stream(toV1Request(request, inner));
    },
  };
}
