/**
 * DSPy's `dspy.File`: inline data (a data URI), a provider file id, or both, with an optional
 * filename; formatted as OpenAI's `file` part.
 */
import { basename } from "node:path";
import type { ContentPart, FilePart } from "../lm/types.js";
import { MediaError, MediaValue } from "./base.js";
import { readMedia } from "./image.js";
import { dataURI, guessMimeType } from "./mime.js";

export interface FileFields {
  fileData?: string;
  fileId?: string;
  filename?: string;
}

export class File extends MediaValue {
  readonly typeName = "File" as const;
  readonly fileData: string | undefined;
  readonly fileId: string | undefined;
  readonly filename: string | undefined;

  /** A data URI string, or any of { fileData, fileId, filename }. */
  constructor(source: string | FileFields) {
    super();
    if (typeof source === "string") {
      if (!source.startsWith("data:")) {
        throw new MediaError("String file inputs must be data URIs", { fix: "load local files with File.fromPath()" });
      }
      this.fileData = source.trim();
      this.fileId = undefined;
      this.filename = undefined;
      return;
    }
    const { fileData, fileId, filename } = source ?? {};
    if (fileData === undefined && fileId === undefined && filename === undefined) {
      throw new MediaError("A File must have at least one of: fileData, fileId, filename");
    }
    this.fileData = fileData?.trim();
    this.fileId = fileId?.trim();
    this.filename = filename?.trim();
  }

  /** Reads a file; filename defaults to its base name, MIME type to the extension's (else octet-stream). */
  static async fromPath(path: string, options: { filename?: string; mimeType?: string } = {}): Promise<File> {
    const bytes = await readMedia(path, "File");
    const mimeType = options.mimeType ?? guessMimeType(path) ?? "application/octet-stream";
    return new File({ fileData: dataURI(mimeType, bytes), filename: options.filename ?? basename(path) });
  }

  static fromBytes(bytes: Uint8Array, options: { filename?: string; mimeType?: string } = {}): File {
    const fileData = dataURI(options.mimeType ?? "application/octet-stream", bytes);
    return new File(options.filename === undefined ? { fileData } : { fileData, filename: options.filename });
  }

  /** A file uploaded to the provider beforehand. */
  static fromFileId(fileId: string, filename?: string): File {
    return new File(filename === undefined ? { fileId } : { fileId, filename });
  }

  protected buildParts(): ContentPart[] {
    // DSPy includes only the non-empty fields, in this order.
    const file: FilePart["file"] = {};
    if (this.fileData) file.file_data = this.fileData;
    if (this.fileId) file.file_id = this.fileId;
    if (this.filename) file.filename = this.filename;
    return [{ type: "file", file }];
  }

  toDict(): { file_data: string | null; file_id: string | null; filename: string | null } {
    return { file_data: this.fileData ?? null, file_id: this.fileId ?? null, filename: this.filename ?? null };
  }
}
