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
import { isPySpace, LINE_BREAK, pyStrip, setOwn, toPlain } from "../py/builtins.js";
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
 * of itself; that quirk is kept so results stay identical. A section's body is sliced out of
 * the completion in one piece rather than gathered line by line: joining its lines with "\n"
 * is the same text once any other line break in it is turned into "\n".
 */
export function splitSections(completion: string, wanted: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  const text = completion.endsWith("\n") || completion.endsWith("\r") ? completion : `${completion}\n`;
  const n = text.length;
  let current: string | undefined;
  let rest = "";
  let bodyStart = 0;
  let bodyEnd = -1; // end of the section's last body line; -1 while it has none
  let oddBreak = false; // a body line ended in a break other than "\n"
  let marker = text.indexOf("[[ ## ");
  let start = 0;
  while (start < n && marker !== -1) {
    let end = start;
    while (end < n && !isLineBreak(text.charCodeAt(end))) end++;
    const next = end < n && text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
    if (marker < start) marker = text.indexOf("[[ ## ", start);
    const name = marker !== -1 && marker < end ? headerName(text, start, end) : undefined;
    if (name !== undefined) {
      if (current !== undefined) found.set(current, sectionText(text, rest, bodyStart, bodyEnd, oddBreak));
      current = wanted.has(name) && !found.has(name) ? name : undefined;
      // The match is as long as "[[ ## " + name + " ## ]]", measured from the unstripped line's start.
      rest = current === undefined ? "" : pyStrip(text.slice(start + name.length + 12, end));
      bodyStart = next;
      bodyEnd = -1;
      oddBreak = false;
    } else if (current !== undefined) {
      // The break after the previous body line is inside the slice; this line's own is not.
      if (bodyEnd !== -1 && text.charCodeAt(bodyEnd) !== 10) oddBreak = true;
      bodyEnd = end;
    }
    start = next;
  }
  if (current !== undefined) {
    // No header follows: the section runs to the end of the text.
    if (start < n) {
      // Everything left is body; its final break (always present) ends the last line.
      const last = lastLineEnd(text, start);
      if (bodyEnd !== -1 && text.charCodeAt(bodyEnd) !== 10) oddBreak = true;
      bodyEnd = last;
      oddBreak = oddBreak || hasOddBreak(text, start, last);
    }
    found.set(current, sectionText(text, rest, bodyStart, bodyEnd, oddBreak));
  }
  return found;
}

/**
 * The field name when the line `text[start, end)`, stripped, starts with `[[ ## name ## ]]`.
 * ASCII names are read directly; any other character goes to the Unicode-aware regex.
 */
function headerName(text: string, start: number, end: number): string | undefined {
  let p = start;
  while (p < end && isPySpace(text[p]!)) p++;
  if (!text.startsWith("[[ ## ", p)) return undefined;
  const nameStart = p + 6;
  let q = nameStart;
  for (; q < end; q++) {
    const c = text.charCodeAt(q);
    if (c >= 0x80) return HEADER.exec(pyStrip(text.slice(start, end)))?.[1];
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95)) break;
  }
  if (q === nameStart || q + 6 > end || !text.startsWith(" ## ]]", q)) return undefined;
  return text.slice(nameStart, q);
}

function sectionText(text: string, rest: string, bodyStart: number, bodyEnd: number, oddBreak: boolean): string {
  if (bodyEnd === -1) return rest;
  let body = text.slice(bodyStart, bodyEnd);
  if (oddBreak) body = body.replace(LINE_BREAK, "\n");
  return pyStrip(rest ? `${rest}\n${body}` : body);
}

/** The end of the last line of `text` from `start` on (before its closing line break). */
function lastLineEnd(text: string, start: number): number {
  let end = text.length;
  const c = text.charCodeAt(end - 1);
  if (isLineBreak(c)) end -= c === 10 && end - 2 >= start && text.charCodeAt(end - 2) === 13 ? 2 : 1;
  return end;
}

function hasOddBreak(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && isLineBreak(c)) return true;
  }
  return false;
}

/** Python's `splitlines` boundaries: \n \r \v \f \x1c-\x1e \x85 \u2028 \u2029 (\r\n counts once). */
function isLineBreak(c: number): boolean {
  return c <= 13 ? c >= 10 : c <= 0x1e ? c >= 0x1c : c === 0x85 || c === 0x2028 || c === 0x2029;
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
