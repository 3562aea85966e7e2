/**
 * The LM used when none is configured: the embedded local model, if `dspex setup` installed
 * it (or DSPEX_MODEL names one). Created once, announced once, so a new user with no API key
 * can run programs straight away.
 */
import { existsSync } from "node:fs";
import { defaultModelPath } from "../lm/providers/local-model.js";
import { local } from "../lm/providers/local.js";
import type { LM } from "../lm/types.js";

let embedded: LM | undefined;

/** The embedded LM, or undefined when no model file is installed. */
export function embeddedDefaultLM(): LM | undefined {
  if (embedded) return embedded;
  const path = defaultModelPath();
  if (!existsSync(path)) return undefined;
  embedded = local({ modelPath: path });
  console.error(
    `dspex: no LM configured; using the embedded model ${embedded.model} (configure({ lm }) to choose another)`,
  );
  return embedded;
}
