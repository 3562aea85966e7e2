/**
 * DSPy's `dspy.Image`: a URL (http, https, gs) or a data URI. Construction never touches the
 * disk or the network; `fromPath` and `fromUrl` do, explicitly, and encode the bytes as a
 * data URI as DSPy does. `fromBytes` keeps the bytes as they are (DSPy re-saves them through
 * Pillow, which may change them; we only read the format from the magic number).
 */
import { readFile } from "node:fs/promises";
import type { ContentPart } from "../lm/types.js";
import { MediaError, MediaValue } from "./base.js";
import { type FetchOptions, fetchBytes, isRemoteURL } from "./fetch-bytes.js";
import { dataURI, guessMimeType, sniffImageType } from "./mime.js";

export class Image extends MediaValue {
  readonly typeName = "Image" as const;
  readonly url: string;

  /** A data URI or an http(s)/gs URL; `{ url }` (DSPy's dict form) works too. */
  constructor(source: string | { url: string }) {
    super();
    const raw = typeof source === "string" ? source : source?.url;
    if (typeof raw !== "string") {
      throw new MediaError("Image needs a URL or data URI string", {
        fix: "new Image(url), Image.fromPath(path) or Image.fromBytes(bytes)",
      });
    }
    const url = raw.trim();
    if (!url.startsWith("data:") && !isRemoteURL(url)) {
      throw new MediaError(
        `Unrecognized image string: ${url.slice(0, 80)}. Local files must be loaded with Image.fromPath().`,
        {
          fix: "pass an http(s) URL or a data URI, or use Image.fromPath(path)",
        },
      );
    }
    this.url = url;
  }

  /** Reads a local file into a data URI; its MIME type comes from the extension, as in DSPy. */
  static async fromPath(path: string): Promise<Image> {
    const mimeType = guessMimeType(path);
    const bytes = await readMedia(path, "Image");
    if (mimeType === undefined) {
      throw new MediaError(`Could not determine MIME type for file: ${path}`, {
        fix: "use a known image extension (.png, .jpg, .gif, .webp) or Image.fromBytes(bytes, mimeType)",
      });
    }
    return new Image(dataURI(mimeType, bytes));
  }

  /** Downloads an http(s) image into a data URI (the response's Content-Type, else the URL's extension). */
  static async fromUrl(url: string, options: FetchOptions = {}): Promise<Image> {
    const { bytes, contentType } = await fetchBytes(url, "Image", options);
    const mimeType = contentType || guessMimeType(new URL(url).pathname);
    if (!mimeType) throw new MediaError(`Could not determine MIME type for URL: ${url}`);
    return new Image(dataURI(mimeType, bytes));
  }

  /** Raw image bytes; the type is read from the bytes unless given. */
  static fromBytes(bytes: Uint8Array, mimeType?: string): Image {
    const type = mimeType ?? sniffImageType(bytes);
    if (type === undefined) {
      throw new MediaError("Bytes could not be identified as an image", {
        fix: "pass the MIME type: Image.fromBytes(bytes, 'image/png')",
      });
    }
    return new Image(dataURI(type, bytes));
  }

  protected buildParts(): ContentPart[] {
    return [{ type: "image_url", image_url: { url: this.url } }];
  }

  toDict(): { url: string } {
    return { url: this.url };
  }

  /** DSPy's repr: data URIs shortened to their length. */
  inspect(): string {
    const at = this.url.indexOf("base64,");
    if (at < 0) return `Image(url='${this.url}')`;
    const type = this.url.split(";")[0]!.split("/").at(-1);
    return `Image(url=data:image/${type};base64,<IMAGE_BASE_64_ENCODED(${this.url.length - at - 7})>)`;
  }
}

export async function readMedia(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MediaError(
      code === "ENOENT" || code === "EISDIR"
        ? `File not found: ${path}`
        : `Could not read ${path}: ${(error as Error).message}`,
      {
        cause: error,
        context: { path, type: what },
      },
    );
  }
}
