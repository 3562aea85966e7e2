/**
 * DSPy's `Adapter.format` flow, shared by ChatAdapter and JSONAdapter: system message, demos
 * (incomplete ones first, with their own preamble), History turns, then the current input.
 * Everything that depends only on the signature is computed once per signature (signatures
 * are immutable) and kept in a WeakMap, so formatting a call only formats its values.
 */
import { ConfigurationError } from "../errors.js";
import type { Message } from "../lm/types.js";
import type { Field, Signature } from "../signature/signature.js";
import { MediaSink, splitCustomTypes } from "./custom-types.js";
import { formatFieldValue } from "./format-value.js";
import { History } from "./history.js";
import { marker } from "./prompt-parts.js";
import { pyStrip } from "../py/builtins.js";
import { has, toValues, type Values } from "./records.js";
import type { Adapter, AdapterOptions, FieldValues } from "./types.js";

export interface FieldSlot {
  readonly field: Field;
  readonly name: string;
  /** `[[ ## name ## ]]\n`, the start of the field's section. */
  readonly header: string;
}

export interface FormatPlan {
  readonly signature: Signature;
  readonly system: string;
  readonly inputs: readonly FieldSlot[];
  readonly outputs: readonly FieldSlot[];
  readonly outputNames: ReadonlySet<string>;
  /** The "Respond with ..." reminder closing the current request. */
  readonly requirements: string;
  readonly historyField: string | undefined;
}

const INCOMPLETE_DEMO_PREFIX = "This is an example of the task, though some input or output fields are not supplied.";
const MISSING_IN_INCOMPLETE_DEMO = "Not supplied for this particular example. ";
const MISSING_IN_COMPLETE_DEMO = "Not supplied for this conversation history message. ";

const slots = (fields: readonly Field[]): FieldSlot[] =>
  fields.map((field) => ({ field, name: field.name, header: `${marker(field.name)}\n` }));

export abstract class BaseAdapter implements Adapter {
  readonly useNativeFunctionCalling: boolean;

  constructor(options: AdapterOptions = {}) {
    this.useNativeFunctionCalling = options.useNativeFunctionCalling ?? false;
  }

  abstract readonly name: "chat" | "json" | "xml";
  protected abstract readonly plans: WeakMap<Signature, FormatPlan>;
  private readonly withoutHistory = new WeakMap<Signature, Signature>();

  protected abstract systemMessage(signature: Signature): string;
  protected abstract outputRequirements(signature: Signature): string;
  /** DSPy's `format_assistant_message_content`; `missing` stands in for absent outputs (None if undefined). */
  protected abstract assistantContent(plan: FormatPlan, outputs: Values, missing: string | undefined): string;
  abstract parse(signature: Signature, completion: string): Record<string, unknown>;

  /** The signature's precomputed formatting plan. */
  protected plan(signature: Signature): FormatPlan {
    let plan = this.plans.get(signature);
    if (!plan) {
      const outputs = slots(signature.outputFields);
      plan = {
        signature,
        system: this.systemMessage(signature),
        inputs: slots(signature.inputFields),
        outputs,
        outputNames: new Set(outputs.map((s) => s.name)),
        requirements: this.outputRequirements(signature),
        historyField: signature.inputFields.find((f) => f.type.kind === "history")?.name,
      };
      this.plans.set(signature, plan);
    }
    return plan;
  }

  format(signature: Signature, demos: readonly FieldValues[], inputs: FieldValues): Message[] {
    const plan = this.plan(signature);
    const values = toValues(inputs);
    const media = new MediaSink();
    const messages: Message[] = [{ role: "system", content: plan.system }];
    if (demos.length > 0) this.formatDemos(plan, demos, messages, media);
    let current = plan;
    if (plan.historyField !== undefined) {
      current = this.plan(this.signatureWithoutHistory(signature, plan.historyField));
      this.formatHistory(current, plan.historyField, values, messages, media);
    }
    const content = this.userContent(current, values, "", true, media);
    if (content) messages.push({ role: "user", content: splitCustomTypes(content, media) });
    return messages;
  }

  /**
   * DSPy's `format_user_message_content`: the given inputs' sections, plus the reminder for the
   * main request. Media values become tokens in `media`; `splitCustomTypes` turns them into parts.
   */
  protected userContent(
    plan: FormatPlan,
    values: Values,
    prefix: string,
    mainRequest: boolean,
    media?: MediaSink,
  ): string {
    let out = prefix;
    for (const slot of plan.inputs) {
      if (!has(values, slot.name)) continue;
      out += `

${this.inputSection(slot, values[slot.name], media)}`;
    }
    if (mainRequest) out += `\n\n${plan.requirements}`;
    return pyStrip(`${out}\n\n`);
  }

  /** One input's section of a user message. */
  protected inputSection(slot: FieldSlot, value: unknown, media?: MediaSink): string {
    return slot.header + formatFieldValue(slot.field, value, media);
  }

  /** Complete demos have every field set (not None); incomplete ones need an input and an output. */
  private formatDemos(plan: FormatPlan, demos: readonly FieldValues[], messages: Message[], media: MediaSink): void {
    const complete: Values[] = [];
    const incomplete: Values[] = [];
    const fields = plan.signature.fields;
    for (const demo of demos) {
      const d = toValues(demo);
      if (fields.every((f) => has(d, f.name) && d[f.name] !== null)) complete.push(d);
      else if (plan.inputs.some((s) => has(d, s.name)) && plan.outputs.some((s) => has(d, s.name))) incomplete.push(d);
    }
    for (const d of incomplete) {
      const user = this.userContent(plan, d, INCOMPLETE_DEMO_PREFIX, false, media);
      messages.push({ role: "user", content: splitCustomTypes(user, media) });
      messages.push({ role: "assistant", content: this.assistantContent(plan, d, MISSING_IN_INCOMPLETE_DEMO) });
    }
    for (const d of complete) {
      messages.push({ role: "user", content: splitCustomTypes(this.userContent(plan, d, "", false, media), media) });
      messages.push({ role: "assistant", content: this.assistantContent(plan, d, MISSING_IN_COMPLETE_DEMO) });
    }
  }

  /** Each History message becomes a user turn (with the format reminder) and an assistant turn. */
  private formatHistory(plan: FormatPlan, field: string, inputs: Values, messages: Message[], media: MediaSink): void {
    if (!has(inputs, field)) return;
    const history = History.from(inputs[field]);
    if (!history) {
      throw new ConfigurationError(`Input "${field}" must be a History`, {
        fix: "pass new History([{ question: '...', answer: '...' }]) or { messages: [...] }",
      });
    }
    for (const message of history.messages) {
      const main = plan.inputs.some((s) => has(message, s.name));
      const user = this.userContent(plan, message, "", main, media);
      if (user) messages.push({ role: "user", content: splitCustomTypes(user, media) });
      const assistant = this.assistantContent(plan, message, undefined);
      if (assistant) messages.push({ role: "assistant", content: assistant });
    }
  }

  private signatureWithoutHistory(signature: Signature, field: string): Signature {
    let sig = this.withoutHistory.get(signature);
    if (!sig) {
      sig = signature.delete(field);
      this.withoutHistory.set(signature, sig);
    }
    return sig;
  }
}

/** `outputs.get(k, missing)`: an absent output takes the stand-in text (or None). */
export function outputValue(outputs: Values, name: string, missing: string | undefined): unknown {
  return has(outputs, name) ? outputs[name] : (missing ?? null);
}
