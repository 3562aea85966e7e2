import { ChatAdapter } from "../src/adapters/chat.js";
import { Signature } from "../src/signature/signature.js";
import { chatGrammar } from "../src/lm/providers/local-chat-grammar.js";
const g = chatGrammar(new ChatAdapter().format(Signature.parse("q -> reasoning, n: int, ok: bool"), [], { q: "x" }));
console.log(g?.gbnf.split("\n").filter(l => !l.startsWith("text")).join("\n"));
