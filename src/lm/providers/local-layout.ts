/**
 * Generation of a ChatAdapter reply in segments (see ChatGrammar.segments): the model writes each
 * field's value up to the opening `[[` of the next header, and the provider appends the rest of
 * that header as tokens evaluated in one batch, then lets the model continue. The text is what
 * the whole-reply grammar allows, because after a value that grammar admits exactly one header;
 * but decoding a header one token at a time costs a full forward pass per token (~60 ms for the
 * 1.5B model on 2 cores), and headers plus the completed marker are about half of a short reply.
 */
import type { LlamaCompletion, LlamaCompletionGenerationOptions, Token } from "node-llama-cpp";
import type { ChatGrammar } from "./local-chat-grammar.js";
import type { LocalRuntime } from "./local-runtime.js";

export interface LayoutRun {
  /** The reply after the layout's prefix (the first header, which the prompt already holds). */
  text: string;
  /** True when the token budget ran out before the completed marker. */
  truncated: boolean;
  /** Tokens of the reply: those the model decoded and the header tokens the provider appended. */
  completionTokens: number;
}

export async function generateLayout(
  runtime: LocalRuntime,
  completion: LlamaCompletion,
  prompt: readonly Token[],
  layout: ChatGrammar,
  maxTokens: number,
  options: Omit<LlamaCompletionGenerationOptions, "grammar" | "maxTokens" | "onToken">,
): Promise<LayoutRun> {
  let tokens = [...prompt];
  let text = "";
  let budget = maxTokens;
  let completionTokens = 0;
  for (const [i, segment] of layout.segments.entries()) {
    const grammar = await runtime.gbnfGrammar(segment.gbnf);
    const decoded: Token[] = [];
    const result = await completion.generateCompletionWithMeta(tokens, {
      ...options,
      grammar,
      maxTokens: budget,
      onToken: (t: Token[]) => {
        decoded.push(...t);
      },
    });
    text += result.response;
    completionTokens += decoded.length;
    budget -= decoded.length;
    // Only a finished grammar ends with the end-of-generation token; anything else (the budget,
    // a stop text) ends the reply where it is, as the whole-reply grammar would have.
    if (result.metadata.stopReason !== "eogToken") {
      return { text, truncated: result.metadata.stopReason === "maxTokens", completionTokens };
    }
    text += segment.after;
    options.onTextChunk?.(segment.after);
    const after = runtime.model.tokenize(segment.after, false);
    completionTokens += after.length;
    if (i === layout.segments.length - 1) break;
    budget -= after.length;
    if (budget <= 0) return { text, truncated: true, completionTokens };
    // The sequence holds the prompt and every decoded token; only the appended header is new.
    tokens = [...tokens, ...decoded, ...after];
  }
  return { text, truncated: false, completionTokens };
}
