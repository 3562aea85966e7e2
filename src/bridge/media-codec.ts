/**
 * Image, Audio and File cross the bridge as MessagePack extension types, so that Python
 * receives `dspy.Image`, `dspy.Audio` and `dspy.File` (python/dspex_worker/protocol.py decodes
 * them) and optimizers, modules and examples handle them as DSPy's own values; DSPy's values
 * come back as ours the same way. The payload is the model's fields (DSPy's names), packed.
 */
import { addExtension, Packr, Unpackr } from "msgpackr";
import { Audio } from "../media/audio.js";
import { File } from "../media/file.js";
import { Image } from "../media/image.js";

export const MEDIA_EXT = { Image: 64, Audio: 65, File: 66 } as const;

const inner = new Packr({ useRecords: false });
const innerUnpack = new Unpackr({ useRecords: false, mapsAsObjects: true });
const fields = (buffer: Uint8Array) => innerUnpack.unpack(buffer) as Record<string, string | null | undefined>;
const opt = (v: string | null | undefined) => (typeof v === "string" ? v : undefined);

let installed = false;

/** Registers the extensions with msgpackr (process-wide, once). */
export function installMediaCodec(): void {
  if (installed) return;
  installed = true;
  addExtension({
    Class: Image,
    type: MEDIA_EXT.Image,
    pack: (value: Image) => inner.pack(value.toDict()),
    unpack: (buffer: Uint8Array) => new Image(String(fields(buffer).url)),
  });
  addExtension({
    Class: Audio,
    type: MEDIA_EXT.Audio,
    pack: (value: Audio) => inner.pack(value.toDict()),
    unpack: (buffer: Uint8Array) => {
      const f = fields(buffer);
      return new Audio({ data: String(f.data), audioFormat: String(f.audio_format) });
    },
  });
  addExtension({
    Class: File,
    type: MEDIA_EXT.File,
    pack: (value: File) => inner.pack(value.toDict()),
    unpack: (buffer: Uint8Array) => {
      const f = fields(buffer);
      const out: { fileData?: string; fileId?: string; filename?: string } = {};
      if (opt(f.file_data) !== undefined) out.fileData = opt(f.file_data)!;
      if (opt(f.file_id) !== undefined) out.fileId = opt(f.file_id)!;
      if (opt(f.filename) !== undefined) out.filename = opt(f.filename)!;
      return new File(out);
    },
  });
}
