/** The DSPex pieces the fuzz replay looks up by name. */
import { ChatAdapter } from "../../src/adapters/chat.js";
import { JSONAdapter } from "../../src/adapters/json.js";
import type { Adapter } from "../../src/adapters/types.js";
import { XMLAdapter } from "../../src/adapters/xml.js";
import type { Predict } from "../../src/modules/predict.js";
import { stateJSON } from "../../src/modules/state-json.js";

const ADAPTERS: Record<string, Adapter> = {
  chat: new ChatAdapter(),
  json: new JSONAdapter(),
  xml: new XMLAdapter(),
};

export function adapterFor(name: string): Adapter | undefined {
  return ADAPTERS[name];
}

/** The text `save()` writes for one predictor's state (fuzz.py dumps a lone Predict's state). */
export function stateText(predict: Predict): string {
  const wrapped = stateJSON({ self: predict.dumpState() }, new Map([["self", predict.signature]]));
  // Unwrap the one-key object: drop its first and last lines and one indent level.
  const lines = wrapped.trimEnd().split("\n").slice(1, -1);
  return `${lines
    .map((l) => l.slice(2))
    .join("\n")
    .replace(/^"self": /, "")}\n`;
}
