/**
 * The pieces of DSPy's system message that both adapters share: the field lists
 * (`get_field_description_string`), the per-field type notes (`translate_field_type`) and the
 * task description with its indented instructions.
 */
import type { Field } from "../signature/signature.js";
import { codeClassName, type TypeNode } from "../signature/types.js";
import { dedent, pyJsonDumps, pySplitlines, pyStr, pyStrip } from "../py/builtins.js";

/** "1. `question` (str): The question" lines, with DSPy's trailing space when there is no description. */
export function fieldDescriptions(fields: readonly Field[]): string {
  const lines = fields.map((f, i) => {
    const desc = f.description === `\${${f.name}}` ? "" : f.description;
    const constraints = f.constraints ? `\nConstraints: ${f.constraints}` : "";
    return `${i + 1}. \`${f.name}\` (${f.typeName}): ${desc}${typeDescriptions(f.type)}${constraints}`;
  });
  return pyStrip(lines.join("\n"));
}

/** dspy.Code's `description()` for its language (DSPy lower-cases it only in the fence). */
function codeDescription(language: string): string {
  return `Code represented in a string, specified in the \`code\` field. If this is an output field, the code field should follow the markdown code block format, e.g. \n\`\`\`${language.toLowerCase()}\n{code}\n\`\`\`\nProgramming language: ${language}`;
}

/** DSPy's "Type description of X" lines for the custom types (dspy.Code) inside a field's type, once each. */
function typeDescriptions(t: TypeNode): string {
  const languages = new Set<string | undefined>();
  codeTypes(t, languages);
  return [...languages]
    .map((l) => `\n    Type description of ${codeClassName(l)}: ${codeDescription(l ?? "python")}`)
    .join("");
}

function codeTypes(t: TypeNode | undefined, out: Set<string | undefined>): void {
  if (!t) return;
  switch (t.kind) {
    case "code":
      out.add(t.language);
      return;
    case "list":
    case "set":
    case "type":
      codeTypes(t.item, out);
      return;
    case "tuple":
      for (const item of t.items ?? []) codeTypes(item, out);
      return;
    case "dict":
      codeTypes(t.key, out);
      codeTypes(t.value, out);
      return;
    case "union":
      for (const o of t.options) codeTypes(o, out);
      return;
    default:
      return;
  }
}

/** "Your input fields are: ... Your output fields are: ...". */
export function fieldDescriptionBlock(inputs: readonly Field[], outputs: readonly Field[]): string {
  return `Your input fields are:\n${fieldDescriptions(inputs)}\nYour output fields are:\n${fieldDescriptions(outputs)}`;
}

/** `{name}` plus the note telling the LM what shape an output value must take. */
export function fieldPlaceholder(field: Field): string {
  const note = typeNote(field);
  return note ? `{${field.name}}        # note: the value you produce ${note}` : `{${field.name}}`;
}

function typeNote(field: Field): string {
  const t = field.type;
  // Code's own type description stands in for the schema; Reasoning is text.
  if (field.kind === "input" || t.kind === "str" || t.kind === "reasoning" || t.kind === "code") return "";
  if (t.kind === "bool") return "must be True or False";
  if (t.kind === "int" || t.kind === "float") return `must be a single ${t.kind} value`;
  if (t.kind === "enum") return `must be one of: ${t.members.map(([, v]) => pyStr(v)).join("; ")}`;
  if (t.kind === "literal") {
    return `must exactly match (no extra characters) one of: ${t.values.map((v) => pyStr(v)).join("; ")}`;
  }
  return `must adhere to the JSON schema: ${pyJsonDumps(field.jsonSchema)}`;
}

/** "In adhering to this structure, your objective is: " with each instruction line indented by 8. */
export function taskDescription(instructions: string): string {
  const lines = pySplitlines(dedent(instructions));
  let out = "In adhering to this structure, your objective is: ";
  for (const line of lines) out += `\n        ${line}`;
  return out;
}

/** The " (must be formatted as a valid Python int)" reminder for non-str outputs. */
export function pythonTypeReminder(field: Field): string {
  return field.type.kind === "str" ? "" : ` (must be formatted as a valid Python ${field.typeName})`;
}

/** `[[ ## name ## ]]`, the marker that opens a field's section. */
export function marker(name: string): string {
  return `[[ ## ${name} ## ]]`;
}
