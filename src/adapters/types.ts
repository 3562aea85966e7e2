import type { ResponseFormat } from "../lm/types.js";
import type { Message } from "../lm/types.js";
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
}

export interface AdapterOptions {
  useNativeFunctionCalling?: boolean;
}
