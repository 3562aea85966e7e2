/**
 * A loopback reply that answers any ChatAdapter prompt: every output field gets a well-formed
 * value (the answer is "Paris", tool choices pick "lookup"), with fixed usage.
 */
import type { RecordedRequest, Reply } from "./loopback-openai.js";

const FIELD_LINE = /^\d+\. `([^`]+)` \(([^)]*)\)/gm;

export function answerFields(req: RecordedRequest): Reply {
  const body = req.body as { messages: { role: string; content: string }[] };
  const system = body.messages[0]?.content ?? "";
  const block = /Your output fields are:\n([\s\S]*?)(?:\n\n|$)/.exec(system)?.[1] ?? "";
  const fields = [...block.matchAll(FIELD_LINE)].map((m) => [m[1]!, m[2]!] as const);
  if (fields.length === 0) return { kind: "completion", outputs: "Be concise." };
  const value = (name: string, type: string): string => {
    const literal = /^Literal\['([^']*)'/.exec(type);
    if (literal) return name === "next_tool_name" ? "lookup" : literal[1]!;
    if (type.startsWith("dict")) return "{}";
    if (/instruction/.test(name)) return "Answer in one word.";
    return name === "answer" ? "Paris" : `some ${name}`;
  };
  const text = fields.map(([name, type]) => `[[ ## ${name} ## ]]\n${value(name, type)}`).join("\n\n");
  return {
    kind: "completion",
    outputs: `${text}\n\n[[ ## completed ## ]]`,
    usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
  };
}
