/**
 * Small models and ChatAdapter's format. A 0.5B model asked for DSPy's `[[ ## field ## ]]` layout
 * often echoes the template's placeholder (`{answer}`), writes prose around an int, forgets the
 * `[[ ## completed ## ]]` marker, or reasons until the context is full. We do not change DSPy's
 * prompt; instead the local provider recognises a ChatAdapter request from its messages and
 * constrains the reply with a GBNF grammar built from the output fields it declares:
 *
 * - the field headers come out in order, exactly, and the reply ends with the completed marker;
 * - ints, floats, bools, Literals and lists of those can only take a well-formed value;
 * - a text value cannot start with `{` (so never a placeholder) nor contain a field marker, and
 *   is bounded in characters (reasoning gets a larger, still bounded, budget), so every field,
 *   ChainOfThought's last one included, gets written;
 * - the reply's token budget follows from those bounds, which also gives a default token cap.
 *
 * Anything we cannot recognise is left alone: the request is served as plain text.
 */
import type { Message } from "../types.js";

/** One output field as ChatAdapter's system message declares it. */
export interface ChatOutputField {
  name: string;
  /** DSPy's annotation name, e.g. `int`, `Literal['a', 'b']`, `list[str]`. */
  typeName: string;
  /** The JSON schema from the field's "# note: ... must adhere to the JSON schema" line, if any. */
  schema?: Record<string, unknown>;
}

export interface ChatGrammar {
  /**
   * The first field's header, which is fixed: the provider writes it into the model's turn
   * (the model continues from it) instead of making the model spell it out token by token.
   */
  prefix: string;
  /** GBNF text for node-llama-cpp's `llama.createGrammar`: the reply after `prefix`. */
  gbnf: string;
  /** Tokens that always suffice for a reply under this grammar on a typical tokenizer. */
  maxTokens: number;
  fields: ChatOutputField[];
  /**
   * The same reply cut at each field's end, for generation in steps: segment i's grammar is field
   * i's value, the break and the next header's opening `[[`; the rest of that header (`after`) is
   * fixed text, so the provider appends it instead of having the model decode it token by token.
   * Headers are about half of a short reply's tokens, and appended tokens are evaluated in one
   * batch (or, after the last field, not at all).
   */
  segments: ChatSegment[];
}

export interface ChatSegment {
  gbnf: string;
  /** Fixed text that follows the segment: the rest of the next header, or of the completed marker. */
  after: string;
}

/** Characters a free-text field may hold; a field called reasoning/rationale gets more. */
export const TEXT_CHARS = 400;
export const REASONING_CHARS = 900;
const REASONING_NAMES = new Set(["reasoning", "rationale", "thought", "thoughts", "reflection"]);
const MIN_TEXT_CHARS = 16;
const LIST_ITEMS = 16;
const ITEM_CHARS = 60;

const OUTPUTS_START = "Your output fields are:\n";
const STRUCTURE_LINE = "All interactions will be structured in the following way";
const RESPOND = "Respond with the corresponding output fields";

/**
 * The output fields of a ChatAdapter request, or undefined when `messages` is not one (no DSPy
 * system message, or the last message is not the user turn that asks for the fields).
 */
export function chatOutputFields(messages: readonly Message[]): ChatOutputField[] | undefined {
  const system = messages[0];
  const last = messages.at(-1);
  if (system?.role !== "system" || last?.role !== "user") return undefined;
  const text = system.content;
  const reminder = last.content;
  if (typeof text !== "string" || typeof reminder !== "string" || !reminder.includes(RESPOND)) return undefined;
  const start = text.indexOf(OUTPUTS_START);
  const end = text.indexOf(STRUCTURE_LINE, start);
  if (start < 0 || end < 0) return undefined;
  const fields: ChatOutputField[] = [];
  const line = /^\d+\. `([^`]+)` \((.*?)\):(?: |$)/gm;
  for (const m of text.slice(start + OUTPUTS_START.length, end).matchAll(line)) {
    fields.push({ name: m[1]!, typeName: m[2]! });
  }
  if (fields.length === 0) return undefined;
  // The structure block repeats each field with its note; the JSON schema there is exact.
  const structure = text.slice(end);
  for (const f of fields) {
    const note = `\n{${f.name}}        # note: the value you produce must adhere to the JSON schema: `;
    const at = structure.indexOf(note);
    if (at < 0) continue;
    const lineEnd = structure.indexOf("\n", at + note.length);
    try {
      const schema: unknown = JSON.parse(structure.slice(at + note.length, lineEnd < 0 ? undefined : lineEnd));
      if (schema !== null && typeof schema === "object" && !Array.isArray(schema))
        f.schema = schema as Record<string, unknown>;
    } catch {
      // A schema we cannot read leaves the field as free text.
    }
  }
  // Every declared field must be asked for in the closing reminder, or this is not DSPy's layout.
  if (!fields.every((f) => reminder.includes(`\`[[ ## ${f.name} ## ]]\``))) return undefined;
  return fields;
}

/**
 * The grammar for a ChatAdapter request, or undefined when `messages` is not one. With a
 * `maxTokens` smaller than the grammar's own budget, the text fields' bounds shrink to fit it,
 * so that the reply still reaches its last field and the completed marker.
 */
export function chatGrammar(
  messages: readonly Message[],
  options: { maxTokens?: number } = {},
): ChatGrammar | undefined {
  const fields = chatOutputFields(messages);
  if (fields === undefined) return undefined;
  const full = build(fields, 1);
  const limit = options.maxTokens;
  if (limit === undefined || full.maxTokens <= limit || full.textTokens === 0) return full;
  const fixed = full.maxTokens - full.textTokens;
  return build(fields, Math.max(0, limit - fixed) / full.textTokens);
}

function build(fields: ChatOutputField[], textScale: number): ChatGrammar & { textTokens: number } {
  const rules = new Rules();
  const parts: string[] = [];
  let tokens = 0;
  let textTokens = 0;
  fields.forEach((f, i) => {
    const value = valueRule(rules, f, textScale);
    // Values start on the line after their header, as in DSPy's own layout and demos. Measured
    // on the probe with Qwen2.5-Coder-0.5B: 70% right this way, 47.5% when a value may follow
    // on the header's line (the model then drifts into digit runs and numbered lists).
    if (i > 0) parts.push(`${BREAK} ${literal(header(f.name))}`);
    parts.push(value.rule);
    tokens += 12 + value.tokens;
    if (value.text) textTokens += value.tokens;
  });
  parts.push(`${BREAK} ${literal("[[ ## completed ## ]]")}`);
  tokens += 12;
  rules.add("root", parts.join(" "));
  const segments = fields.map((f, i): ChatSegment => {
    const own = new Rules();
    own.add("root", `${valueRule(own, f, textScale).rule} ${BREAK} ${literal(OPEN)}`);
    const next = fields[i + 1];
    const rest = next === undefined ? "[[ ## completed ## ]]" : header(next.name);
    return { gbnf: own.text(), after: rest.slice(OPEN.length) };
  });
  return { prefix: header(fields[0]!.name), gbnf: rules.text(), maxTokens: tokens, fields, textTokens, segments };
}

/** Where a segment stops: the model writes the opening of the next header, the provider the rest. */
const OPEN = "[[";

const header = (name: string) => `[[ ## ${name} ## ]]\n`;

/**
 * Before a header: DSPy writes a blank line, but its parser splits on headers alone, so one
 * newline is accepted too. Qwen2.5-Coder-1.5B answering "Tokyo" wants the marker on the very
 * next line; when only "\n\n" was allowed it wrote "\n```" or "\n   " runs to the text bound
 * instead (130+ tokens, 30 s on 2 cores, for a one-word answer).
 */
const BREAK = `"\\n" "\\n"?`;

interface Value {
  rule: string;
  /** A token budget that covers the value (roughly two characters per token for text). */
  tokens: number;
  /** Free text, whose bound scales with the request's token cap. */
  text?: boolean;
}

class Rules {
  private readonly defs = new Map<string, string>();
  add(name: string, body: string): string {
    if (!this.defs.has(name)) this.defs.set(name, body);
    return name;
  }
  text(): string {
    return [...this.defs].map(([name, body]) => `${name} ::= ${body}`).join("\n");
  }
}

function valueRule(rules: Rules, field: ChatOutputField, textScale: number): Value {
  const primitive = primitiveRule(rules, field.typeName);
  if (primitive !== undefined) return primitive;
  const chars = (base: number) => Math.max(MIN_TEXT_CHARS, Math.floor(base * Math.min(1, textScale)));
  if (field.typeName === "str") {
    return textRule(rules, chars(REASONING_NAMES.has(field.name.toLowerCase()) ? REASONING_CHARS : TEXT_CHARS));
  }
  if (field.schema !== undefined) {
    const fromSchema = schemaRule(rules, field.schema);
    if (fromSchema !== undefined) return fromSchema;
  }
  return anyTextRule(rules, chars(TEXT_CHARS * 2));
}

/** int, float, bool and Literal annotations. */
function primitiveRule(rules: Rules, typeName: string): Value | undefined {
  switch (typeName) {
    case "int":
      return { rule: rules.add("int", `"-"? [0-9] [0-9]{0,11}`), tokens: 8 };
    case "float":
      return { rule: rules.add("float", `"-"? [0-9] [0-9]{0,11} ("." [0-9]{1,8})?`), tokens: 12 };
    case "bool":
      // DSPy reads bools with pydantic's rules, so Yes/No parse too: a model that would rather
      // answer a yes/no question in those words may.
      return { rule: rules.add("bool", `"True" | "False" | "Yes" | "No"`), tokens: 3 };
  }
  const m = /^Literal\[(.*)\]$/s.exec(typeName);
  if (m === null) return undefined;
  const values = pythonLiterals(m[1]!);
  if (values === undefined || values.length === 0) return undefined;
  return {
    rule: `(${values.map(literal).join(" | ")})`,
    tokens: 4 + Math.max(...values.map((v) => v.length)),
  };
}

/**
 * Free text: not starting with `{` or whitespace, no field marker, no line opening with `[` or
 * `{` (Qwen2.5-Coder-1.5B otherwise ends an answer with a made-up `{{ ## completed ## }}`), at
 * most `chars` units. Whitespace only ever comes before more text on its line, so no trailing
 * blanks and no blank lines: Qwen2.5-Coder-1.5B answered "Tokyo" and then wrote 130 tokens of
 * "\n   " until the bound, which turned a 1 s call into a 30 s one.
 */
function textRule(rules: Rules, chars: number): Value {
  rules.add("tword", `[^\\[\\n \\t] | "[" [^\\[\\n \\t]`);
  rules.add("tline", `[^\\[{\\n \\t]`);
  rules.add("tchar", `tword | [ \\t]{1,8} tword | "\\n" [ \\t]{0,8} tline`);
  const name = rules.add(`text${chars}`, `tline tchar{0,${chars - 1}}`);
  return { rule: name, tokens: Math.ceil(chars / 2), text: true };
}

/** Free text for types we do not model (dicts, models): may start with `{`, still bounded. */
function anyTextRule(rules: Rules, chars: number): Value {
  rules.add("achar", `[^\\[] | "[" [^\\[]`);
  return {
    rule: rules.add(`anytext${chars}`, `[^\\[\\n \\t] achar{0,${chars - 1}}`),
    tokens: Math.ceil(chars / 2),
    text: true,
  };
}

/** A value under the field's JSON schema: arrays, enums, scalars and Optional; else undefined. */
function schemaRule(rules: Rules, schema: Record<string, unknown>): Value | undefined {
  const union = schema.anyOf;
  if (Array.isArray(union)) {
    const nonNull = union.filter((s) => !(isObject(s) && s.type === "null"));
    if (nonNull.length === 1 && union.length === 2 && isObject(nonNull[0])) {
      const inner = schemaRule(rules, nonNull[0]);
      return inner && { rule: `(${inner.rule} | "None")`, tokens: inner.tokens };
    }
    return undefined;
  }
  if (schema.type === "array" && isObject(schema.items)) {
    const item = jsonItemRule(rules, schema.items);
    if (item === undefined) return undefined;
    const rule = `("[]" | "[" ${item.rule} ("," " "? ${item.rule}){0,${LIST_ITEMS - 1}} "]")`;
    return { rule, tokens: 4 + LIST_ITEMS * (item.tokens + 1) };
  }
  const item = jsonItemRule(rules, schema);
  if (item === undefined || schema.type === "string") return undefined;
  return item;
}

/** One JSON value inside a list: a string (bounded), enum, integer, number or boolean. */
function jsonItemRule(rules: Rules, schema: Record<string, unknown>): Value | undefined {
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.map((v) => JSON.stringify(v));
    return { rule: `(${values.map(literal).join(" | ")})`, tokens: 2 + Math.max(...values.map((v) => v.length)) };
  }
  switch (schema.type) {
    case "string":
      rules.add("jchar", `[^"\\\\\\n] | "\\\\" ["\\\\/bfnrt]`);
      return { rule: rules.add("jstring", `"\\"" jchar{0,${ITEM_CHARS}} "\\""`), tokens: 2 + ITEM_CHARS / 4 };
    case "integer":
      return { rule: rules.add("jint", `"-"? [0-9] [0-9]{0,11}`), tokens: 6 };
    case "number":
      return { rule: rules.add("jnumber", `"-"? [0-9] [0-9]{0,11} ("." [0-9]{1,8})?`), tokens: 10 };
    case "boolean":
      return { rule: rules.add("jbool", `"true" | "false"`), tokens: 2 };
    default:
      return undefined;
  }
}

/** A GBNF string literal. */
function literal(text: string): string {
  return JSON.stringify(text);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The values in a Literal's annotation name, as ChatAdapter writes them in a reply: strings
 * raw, other values as Python prints them. Undefined when the list is not plain literals.
 */
export function pythonLiterals(list: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const skip = () => {
    while (list[i] === " ") i++;
  };
  while (i < list.length) {
    skip();
    const q = list[i];
    if (q === "'" || q === '"') {
      let value = "";
      i++;
      while (i < list.length && list[i] !== q) {
        if (list[i] === "\\" && i + 1 < list.length) i++;
        value += list[i];
        i++;
      }
      if (list[i] !== q) return undefined;
      i++;
      out.push(value);
    } else {
      const m = /^(-?\d+(?:\.\d+)?|True|False|None)/.exec(list.slice(i));
      if (m === null) return undefined;
      out.push(m[1]!);
      i += m[1]!.length;
    }
    skip();
    if (i < list.length) {
      if (list[i] !== ",") return undefined;
      i++;
    }
  }
  return out;
}
