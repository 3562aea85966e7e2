/**
 * Shared by the studio tests: a loopback OpenAI server that answers as the optimizer tests'
 * RuleLM (capitals known once the instructions say "capital-city expert" or demos are shown),
 * the capital examples, and Debian's chromium for playwright-core.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { openai } from "../../src/lm/providers/openai.js";
import type { LM } from "../../src/lm/types.js";
import type { Message } from "../../src/lm/types.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";
import { MAGIC, RuleLM } from "../optimize/helpers.js";

export const SECRET = "sk-studio-test-4f9c2a7e1b8d6053";

export async function capitalServer(): Promise<{ server: Loopback; lm: LM }> {
  const rules = new RuleLM("loopback", { instructionsHelp: true, proposal: `You are a ${MAGIC}. Give the capital.` });
  const server = await start({
    script: (req) => {
      const body = req.body as { messages: Message[]; n?: number };
      const text = rules.answer(body.messages);
      return {
        kind: "completion",
        outputs: Array.from({ length: Math.max(1, body.n ?? 1) }, () => text),
        usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      };
    },
  });
  const lm = openai({ baseURL: server.url, apiKey: SECRET, model: "loopback", maxRetries: 0 });
  return { server, lm };
}

/**
 * Debian's chromium (installed by .ci/run). Missing is a failure, never a skip: the browser
 * tests are the studio's proof.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  const found = candidates.find((p): p is string => p !== undefined && p !== "" && existsSync(p));
  if (found === undefined) {
    throw new Error("chromium is not installed: apt-get install -y chromium (or set CHROMIUM_PATH)");
  }
  return found;
}

/** Where screenshots go: artifacts/studio/ at the repository root (gitignored). */
export function artifactsDir(): string {
  const dir = join(import.meta.dirname, "..", "..", "artifacts", "studio");
  mkdirSync(dir, { recursive: true });
  return dir;
}
