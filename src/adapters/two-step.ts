/**
 * DSPy's TwoStepAdapter: the main LM gets a plain, natural prompt (no field markers), and a
 * second, usually smaller LM extracts the outputs from its free text with ChatAdapter over the
 * signature `text -> <the original outputs>` (JSONAdapter once if that parse fails, as DSPy's
 * ChatAdapter call does). Meant for reasoning models that struggle with structured output.
 */
import { ConfigurationError } from "../errors.js";
import type { LM, Message } from "../lm/types.js";
import { pyStr, pyStrip, withFloats } from "../py/builtins.js";
import { type Field, makeField, Signature } from "../signature/signature.js";
import { ChatAdapter } from "./chat.js";
import { AdapterParseError } from "./errors.js";
import { JSONAdapter } from "./json.js";
import { fieldDescriptions } from "./prompt-parts.js";
import { has, toValues, type Values } from "./records.js";
import type { Adapter, ExtractionCall, FieldValues } from "./types.js";

const INCOMPLETE_DEMO_PREFIX = "This is an example of the task, though some input or output fields are not supplied.";

const chat = new ChatAdapter();
const json = new JSONAdapter();

export class TwoStepAdapter implements Adapter {
  readonly name = "two-step" as const;
  readonly extractionModel: LM;
  private readonly extractors = new WeakMap<Signature, Signature>();

  constructor(extractionModel: LM) {
    if (
      extractionModel === null ||
      typeof extractionModel !== "object" ||
      typeof extractionModel.generate !== "function"
    ) {
      throw new ConfigurationError("TwoStepAdapter needs an extraction LM", {
        fix: "pass an LM: new TwoStepAdapter(lm('openai/gpt-4o-mini'))",
      });
    }
    this.extractionModel = extractionModel;
  }

  /** System task description, demos as plain `name: value` turns, then the current inputs. */
  format(signature: Signature, demos: readonly FieldValues[], inputs: FieldValues): Message[] {
    const messages: Message[] = [{ role: "system", content: this.taskDescription(signature) }];
    const complete: Values[] = [];
    const incomplete: Values[] = [];
    for (const demo of demos) {
      const d = toValues(demo);
      if (signature.fields.every((f) => has(d, f.name) && d[f.name] !== null)) complete.push(d);
      else if (signature.inputFields.some((f) => has(d, f.name)) && signature.outputFields.some((f) => has(d, f.name)))
        incomplete.push(d);
    }
    for (const [d, prefix] of [
      ...incomplete.map((d) => [d, INCOMPLETE_DEMO_PREFIX] as const),
      ...complete.map((d) => [d, ""] as const),
    ]) {
      messages.push({ role: "user", content: this.lines(signature.inputFields, d, prefix) });
      messages.push({ role: "assistant", content: this.lines(signature.outputFields, d, "") });
    }
    messages.push({ role: "user", content: this.lines(signature.inputFields, toValues(inputs), "") });
    return messages;
  }

  /** Always asks the extraction LM, so it cannot run synchronously: Predict calls `extract`. */
  parse(signature: Signature, completion: string): Record<string, unknown> {
    throw new AdapterParseError({
      adapter: "TwoStepAdapter",
      completion,
      expectedFields: signature.outputFields.map((f) => f.name),
      reason: "TwoStepAdapter parses with a second LM call; it has no synchronous parse.",
      fix: "run it through Predict (configure({ adapter: new TwoStepAdapter(extractionLM) })) or call extract()",
    });
  }

  /** DSPy's `TwoStepAdapter.parse`: ChatAdapter (then JSONAdapter) over `text -> outputs` on the extraction LM. */
  async extract(signature: Signature, completion: string, call: ExtractionCall): Promise<Record<string, unknown>> {
    const extractor = this.extractorSignature(signature);
    const inputs = { text: completion };
    try {
      try {
        return chat.parse(
          extractor,
          await call(this.extractionModel, chat, extractor, chat.format(extractor, [], inputs)),
        );
      } catch (error) {
        if (!(error instanceof AdapterParseError)) throw error;
        return json.parse(
          extractor,
          await call(this.extractionModel, json, extractor, json.format(extractor, [], inputs)),
        );
      }
    } catch (error) {
      if (!(error instanceof AdapterParseError)) throw error;
      throw new AdapterParseError({
        adapter: "TwoStepAdapter",
        completion,
        expectedFields: signature.outputFields.map((f) => f.name),
        reason: `Failed to parse response from the original completion: ${error.message}`,
        cause: error,
      });
    }
  }

  /** `text` plus the original outputs, with DSPy's extraction instructions. */
  extractorSignature(signature: Signature): Signature {
    let sig = this.extractors.get(signature);
    if (!sig) {
      const outputs = signature.outputFields;
      const names = outputs.map((f) => `\`${f.name}\``).join(", ");
      // DSPy's source continues the string with a backslash, so the next line's indent is part of it.
      const instructions = `The input is a text that should contain all the necessary information to produce the fields ${names}.             Your job is to extract the fields from the text verbatim. Extract precisely the appropriate value (content) for each field.`;
      // A dict of fields: an output named `text` takes the input's place.
      const text = outputs.find((f) => f.name === "text");
      const rest = outputs.filter((f) => f.name !== "text");
      sig = text
        ? new Signature([], [text, ...rest], instructions)
        : new Signature([makeField("text", "input")], [...outputs], instructions);
      this.extractors.set(signature, sig);
    }
    return sig;
  }

  private taskDescription(signature: Signature): string {
    const parts = [
      "You are a helpful assistant that can solve tasks based on user input.",
      `As input, you will be provided with:\n${fieldDescriptions(signature.inputFields)}`,
      `Your outputs must contain:\n${fieldDescriptions(signature.outputFields)}`,
      "You should lay out your outputs in detail so that your answer can be understood by another agent",
    ];
    if (signature.instructions) parts.push(`Specific instructions: ${signature.instructions}`);
    return parts.join("\n");
  }

  /** `name: str(value)` for each given field, blank-line separated (the prefix first), stripped. */
  private lines(fields: readonly Field[], values: Values, prefix: string): string {
    const parts = [prefix];
    // Python's str() of the value as given: the type only says which integral numbers are floats
    // (a list passed for a set[int] field still prints as a list).
    for (const f of fields) {
      if (has(values, f.name)) parts.push(`${f.name}: ${pyStr(withFloats(values[f.name], f.type))}`);
    }
    return pyStrip(parts.join("\n\n"));
  }
}
