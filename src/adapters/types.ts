import type { LM, Message, ResponseFormat } from "../lm/types.js";
import type { Signature } from "../signature/signature.js";

/**
 * A record of field values: a plain object, or anything with `toDict()`/`toJSON()` returning one
 * (an Example, a Prediction). Missing and `undefined` values count as absent; `null` is Python's None.
 */
export type FieldValues = Readonly<Record<string, unknown>> | { toDict(): Record<string, unknown> };

/** Turns a signature plus demos and inputs into LM messages, and a completion back into outputs. */
export interface Adapter {
  /** "chat" and "xml" fall back to JSONAdapter once on a parse failure, as DSPy's ChatAdapter subclasses do. */
  readonly name: "chat" | "json" | "xml" | "two-step";
  format(signature: Signature, demos: readonly FieldValues[], inputs: FieldValues): Message[];
  /** Throws AdapterParseError when the completion lacks an output field or a value fails its type. */
  parse(signature: Signature, completion: string): Record<string, unknown>;
  /** The structured-output format a provider or grammar can enforce, where the adapter has one. */
  responseFormat?(signature: Signature): ResponseFormat | undefined;
  /**
   * DSPy's `use_native_function_calling`: with a Tool input and a ToolCalls output, tools go to
   * the LM's native function calling instead of the prompt (see native-tools.ts).
   */
  readonly useNativeFunctionCalling?: boolean;
  /**
   * For an adapter whose parse needs an LM of its own (TwoStepAdapter): Predict awaits this instead
   * of `parse`, and `call` sends the adapter's messages to that LM the way Predict sends its own.
   */
  extract?(signature: Signature, completion: string, call: ExtractionCall): Promise<Record<string, unknown>>;
}

/** One LM round trip on behalf of an adapter: the LM, the adapter formatting, and its messages; resolves to the first completion. */
export type ExtractionCall = (lm: LM, adapter: Adapter, signature: Signature, messages: Message[]) => Promise<string>;

export interface AdapterOptions {
  useNativeFunctionCalling?: boolean;
}
