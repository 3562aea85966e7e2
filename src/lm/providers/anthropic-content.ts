/**
 * OpenAI-shaped content parts as Anthropic Messages blocks: images (base64 or URL sources),
 * PDFs and plain text files as documents, uploaded files by id. Audio has no Anthropic block,
 * so it fails with a typed error rather than being dropped.
 */
import { LMUnsupportedContentError } from "../errors.js";
import type { ContentPart } from "../types.js";

export type AnthropicSource =
  | { type: "base64"; media_type: string; data: string }
  | { type: "url"; url: string }
  | { type: "text"; media_type: "text/plain"; data: string }
  | { type: "file"; file_id: string };

export type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: AnthropicSource }
  | { type: "document"; source: AnthropicSource; title?: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> }
  | { type: "tool_result"; tool_use_id: string; content: string | AnthropicBlock[] };

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

interface DataURI {
  mediaType: string;
  base64: boolean;
  data: string;
}

/** `data:<type>[;params][;base64],<data>`; undefined when `url` is not a data URI. */
export function parseDataURI(url: string): DataURI | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const header = url.slice(5, comma).split(";");
  const mediaType = (header[0] ?? "").trim().toLowerCase() || "text/plain";
  return { mediaType, base64: header.slice(1).includes("base64"), data: url.slice(comma + 1) };
}

export function toAnthropicBlocks(
  parts: readonly ContentPart[],
  message: number,
  who: { provider: string; model: string },
): AnthropicBlock[] {
  const refuse = (partType: string, why: string, fix?: string): never => {
    throw new LMUnsupportedContentError(`${who.provider} cannot take message ${message}'s "${partType}" part: ${why}`, {
      ...who,
      partType,
      context: { message },
      ...(fix === undefined ? {} : { fix }),
    });
  };
  return parts.map((part): AnthropicBlock => {
    switch (part.type) {
      case "text":
        return { type: "text", text: part.text };
      case "image_url": {
        const url = part.image_url.url;
        const data = parseDataURI(url);
        if (data === undefined) {
          if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
          return refuse("image_url", `only http(s) URLs and base64 data URIs can be sent (got ${url.slice(0, 32)}…)`);
        }
        if (!data.base64) return refuse("image_url", "the image data URI is not base64-encoded");
        if (!IMAGE_TYPES.has(data.mediaType)) {
          return refuse(
            "image_url",
            `Anthropic accepts image/jpeg, image/png, image/gif and image/webp, not ${data.mediaType}`,
          );
        }
        return { type: "image", source: { type: "base64", media_type: data.mediaType, data: data.data } };
      }
      case "file": {
        const title = part.file.filename === undefined ? {} : { title: part.file.filename };
        if (part.file.file_data !== undefined) {
          const data = parseDataURI(part.file.file_data);
          if (data === undefined) return refuse("file", "file_data must be a data URI");
          if (data.mediaType === "application/pdf" && data.base64) {
            return {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: data.data },
              ...title,
            };
          }
          if (data.mediaType === "text/plain") {
            const text = data.base64
              ? Buffer.from(data.data, "base64").toString("utf8")
              : decodeURIComponent(data.data);
            return { type: "document", source: { type: "text", media_type: "text/plain", data: text }, ...title };
          }
          if (IMAGE_TYPES.has(data.mediaType) && data.base64) {
            return { type: "image", source: { type: "base64", media_type: data.mediaType, data: data.data } };
          }
          return refuse("file", `Anthropic documents are PDF or plain text, not ${data.mediaType}`);
        }
        if (part.file.file_id !== undefined)
          return { type: "document", source: { type: "file", file_id: part.file.file_id }, ...title };
        return refuse("file", "the file part has neither file_data nor file_id");
      }
      case "input_audio":
        return refuse(
          "input_audio",
          "the Messages API has no audio input",
          "send audio to an OpenAI-compatible model that takes input_audio",
        );
      default:
        return refuse(String((part as { type?: unknown }).type), "unknown content part type");
    }
  });
}
