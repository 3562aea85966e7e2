/**
 * DSPy's `dspy.Audio`: base64 data plus a format ("wav", "mpeg", ...), formatted as an
 * `input_audio` part. Formats lose an "x-" prefix (audio/x-wav -> "wav"), as in DSPy.
 */
import type { ContentPart } from "../lm/types.js";
import { MediaError, MediaValue } from "./base.js";
import { type FetchOptions, fetchBytes } from "./fetch-bytes.js";
import { readMedia } from "./image.js";
import { guessMimeType } from "./mime.js";

const normalize = (format: string): string => (format.startsWith("x-") ? format.slice(2) : format);

export class Audio extends MediaValue {
  readonly typeName = "Audio" as const;
  /** Base64, without a data: prefix. */
  readonly data: string;
  readonly audioFormat: string;

  /** A `data:audio/...;base64,` URI, or `{ data, audioFormat }` (base64 data). */
  constructor(source: string | { data: string; audioFormat: string }) {
    super();
    if (typeof source === "string") {
      if (!source.startsWith("data:audio/")) {
        throw new MediaError("String audio inputs must be data URIs", {
          fix: "load local files with Audio.fromPath() and remote ones with Audio.fromUrl()",
        });
      }
      const comma = source.indexOf(",");
      const mime = source.slice(5, comma < 0 ? undefined : comma).split(";")[0]!;
      const format = mime.slice(mime.indexOf("/") + 1);
      if (comma < 0 || format === "") throw new MediaError("Malformed audio data URI");
      this.data = source.slice(comma + 1);
      this.audioFormat = normalize(format);
    } else {
      if (typeof source?.data !== "string" || typeof source.audioFormat !== "string") {
        throw new MediaError("Audio needs { data, audioFormat } strings or a data URI");
      }
      this.data = source.data;
      this.audioFormat = source.audioFormat;
    }
  }

  static async fromPath(path: string): Promise<Audio> {
    const mime = guessMimeType(path);
    if (mime === undefined || !mime.startsWith("audio/")) {
      throw new MediaError(`Unsupported MIME type for audio: ${mime ?? "None"}`, {
        context: { path },
        fix: "use an audio file (.wav, .mp3, .flac, .ogg)",
      });
    }
    const bytes = await readMedia(path, "Audio");
    return new Audio({ data: Buffer.from(bytes).toString("base64"), audioFormat: normalize(mime.split("/")[1]!) });
  }

  static async fromUrl(url: string, options: FetchOptions = {}): Promise<Audio> {
    const { bytes, contentType } = await fetchBytes(url, "Audio", options);
    const mime = contentType || "audio/wav";
    if (!mime.startsWith("audio/"))
      throw new MediaError(`Unsupported MIME type for audio: ${mime}`, { context: { url } });
    return new Audio({ data: Buffer.from(bytes).toString("base64"), audioFormat: normalize(mime.split("/")[1]!) });
  }

  /** Raw audio bytes in `format` (default "wav", as DSPy). */
  static fromBytes(bytes: Uint8Array, format = "wav"): Audio {
    return new Audio({ data: Buffer.from(bytes).toString("base64"), audioFormat: format });
  }

  protected buildParts(): ContentPart[] {
    return [{ type: "input_audio", input_audio: { data: this.data, format: this.audioFormat } }];
  }

  toDict(): { data: string; audio_format: string } {
    return { data: this.data, audio_format: this.audioFormat };
  }
}
