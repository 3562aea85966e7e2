import { ChatAdapter } from "../src/adapters/chat.js";
import { Signature } from "../src/signature/signature.js";
import { local } from "../src/lm/providers/local.js";
import { unloadLocalModels } from "../src/lm/providers/local-runtime.js";
const lm = local({ modelPath: process.env.M! });
const a = new ChatAdapter();
for (const [sig, q] of [["question -> answer: bool", "Is the Sun a star?"], ["question -> answer: bool", "Do fish live in water?"], ["question -> answer: int", "What is 7 + 5?"]]) {
  const msgs = a.format(Signature.parse(sig), [], { question: q });
  for (const cg of [false, true]) {
    const t = performance.now();
    const r = await lm.generate({ messages: msgs, maxTokens: 40, providerOptions: { chatGrammar: cg } });
    console.log(cg, (performance.now()-t).toFixed(0), JSON.stringify(r.outputs[0]), r.usage);
  }
}
await unloadLocalModels();
