/**
 * DSPy's ChatAdapter: fields travel in `[[ ## name ## ]]` sections, outputs end with
 * `[[ ## completed ## ]]`. Formatting is byte-identical to DSPy 3.4.1; parsing reads the
 * completion once, line by line, with DSPy's rules (markers only at the start of a line,
 * first occurrence wins, str values raw, other values through `parse_value`).
 */
import type { Signature } from "../signature/signature.js";
import { allowsNone } from "../signature/types.js";
import { BaseAdapter, type FormatPlan, outputValue } from "./base.js";
import { AdapterParseError } from "./errors.js";
import { formatFieldValue } from "./format-value.js";
import { ValidationFailure, parseValue } from "./parse-value.js";
import {
  fieldDescriptionBlock,
  fieldPlaceholder,
  marker,
  pythonTypeReminder,
  taskDescription,
} from "./prompt-parts.js";
import { LINE_BREAK, pyStrip, setOwn, toPlain } from "./py.js";
import type { Values } from "./records.js";

const PLANS = new WeakMap<Signature, FormatPlan>();
const COMPLETED = "\n\n[[ ## completed ## ]]\n";
// Python's \w is Unicode-aware: letters, digits (all numeric categories) and underscore.
const HEADER = /^\[\[ ## ([\p{L}\p{N}_]+) ## \]\]/u;

export class ChatAdapter extends BaseAdapter {
  readonly name = "chat" as const;
  protected readonly plans = PLANS;

  protected systemMessage(sig: Signature): string {
    const section = (fields: Signature["inputFields"]) =>
      pyStrip(fields.map((f) => `${marker(f.name)}\n${fieldPlaceholder(f)}`).join("\n\n"));
    const structure = pyStrip(
      [
        "All interactions will be structured in the following way, with the appropriate values filled in.",
        section(sig.inputFields),
        section(sig.outputFields),
        "[[ ## completed ## ]]\n",
      ].join("\n\n"),
    );
    return `${fieldDescriptionBlock(sig.inputFields, sig.outputFields)}\n${structure}\n${taskDescription(sig.instructions)}`;
  }

  protected outputRequirements(sig: Signature): string {
    const fields = sig.outputFields.map((f) => `\`${marker(f.name)}\`${pythonTypeReminder(f)}`).join(", then ");
    return `Respond with the corresponding output fields, starting with the field ${fields}, and then ending with the marker for \`[[ ## completed ## ]]\`.`;
  }

  protected assistantContent(plan: FormatPlan, outputs: Values, missing: string | undefined): string {
    let out = "";
    for (const slot of plan.outputs) {
      if (out) out += "\n\n";
      out += slot.header + formatFieldValue(slot.field, outputValue(outputs, slot.name, missing));
    }
    return pyStrip(out) + COMPLETED;
  }

  parse(signature: Signature, completion: string): Record<string, unknown> {
    const plan = this.plan(signature);
    const raw = splitSections(completion, plan.outputNames);
    const parsed: Record<string, unknown> = {};
    for (const slot of plan.outputs) {
      const text = raw.get(slot.name);
      if (text === undefined) continue;
      try {
        setOwn(parsed, slot.name, toPlain(parseValue(text, slot.field.type)));
      } catch (e) {
        if (!(e instanceof ValidationFailure)) throw e;
        throw new AdapterParseError({
          adapter: "ChatAdapter",
          completion,
          expectedFields: [...plan.outputNames],
          field: slot.name,
          reason: `Failed to parse field ${slot.name} with value ${text} from the LM response. Error message: ${e.message}`,
          fix: `the value of \`${slot.name}\` must be a valid ${slot.field.typeName}`,
          cause: e,
        });
      }
    }
    return applyOutputDefaults(plan, parsed, completion, "ChatAdapter");
  }
}

/**
 * One pass over the completion's lines (Python's `splitlines`). A header counts when the
 * stripped line starts with it; the rest of that line starts the section. DSPy slices the
 * unstripped line at the match's end in the stripped one, so an indented marker keeps a tail
 * of itself; that quirk is kept so results stay identical.
 */
export function splitSections(completion: string, wanted: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] | undefined;
  const close = () => {
    if (current !== undefined && lines) found.set(current, pyStrip(lines.join("\n")));
  };
  const text = completion.endsWith("\n") || completion.endsWith("\r") ? completion : `${completion}\n`;
  LINE_BREAK.lastIndex = 0;
  let start = 0;
  for (let m = LINE_BREAK.exec(text); m; m = LINE_BREAK.exec(text)) {
    const line = text.slice(start, m.index);
    start = m.index + m[0].length;
    const header = line.includes("[[ ## ") ? HEADER.exec(pyStrip(line)) : null;
    if (header) {
      close();
      const name = header[1]!;
      const keep = wanted.has(name) && !found.has(name);
      current = keep ? name : undefined;
      const rest = pyStrip(line.slice(header[0].length));
      lines = keep ? (rest ? [rest] : []) : undefined;
    } else if (lines) {
      lines.push(line);
    }
  }
  if (start < text.length) {
    const tail = text.slice(start);
    if (lines) lines.push(tail);
  }
  close();
  return found;
}

/** DSPy's `apply_output_field_defaults` plus the missing-field check, in signature order. */
export function applyOutputDefaults(
  plan: FormatPlan,
  parsed: Record<string, unknown>,
  completion: string,
  adapter: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let complete = true;
  for (const slot of plan.outputs) {
    if (Object.hasOwn(parsed, slot.name)) setOwn(out, slot.name, parsed[slot.name]);
    else if (allowsNone(slot.field.type)) setOwn(out, slot.name, null);
    else complete = false;
  }
  if (!complete) {
    throw new AdapterParseError({ adapter, completion, expectedFields: [...plan.outputNames], parsed: out });
  }
  return out;
}
