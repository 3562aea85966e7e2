/** The DSPex pieces the fuzz replay looks up by name. */
import { ChatAdapter } from "../../src/adapters/chat.js";
import { JSONAdapter } from "../../src/adapters/json.js";
import type { Adapter } from "../../src/adapters/types.js";
import { XMLAdapter } from "../../src/adapters/xml.js";
import type { Predict } from "../../src/modules/predict.js";

const ADAPTERS: Record<string, Adapter> = {
  chat: new ChatAdapter(),
  json: new JSONAdapter(),
  xml: new XMLAdapter(),
};

export function adapterFor(name: string): Adapter | undefined {
  return ADAPTERS[name];
}

/** The text `save()` writes for a program's state, less the metadata block. */
export function stateText(predict: Predict): string {
  return `${JSON.stringify(predict.dumpState(), null, 2)}\n`;
}
