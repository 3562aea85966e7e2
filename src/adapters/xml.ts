/**
 * DSPy's XMLAdapter (3.4.1): fields travel as `<name>\nvalue\n</name>`; list, dict and model outputs
 * are written and read as nested XML (`<item>`, `<key>`, `<entry key="...">`). Parsing wraps the
 * completion in a root element and reads it with ElementTree's strictness, so text that is not
 * well-formed XML is a parse failure (after which Predict retries with JSONAdapter, as DSPy does).
 */
import type { Signature } from "../signature/signature.js";
import { type JSONSchema, rawJsonSchema, type TypeNode } from "../signature/types.js";
import { pyStr, pyStrip, setOwn, toPlain } from "../py/builtins.js";
import { quoteAttr, type XmlElement, XmlParseError, xmlFromString, xmlToString } from "../py/etree.js";
import { BaseAdapter, type FieldSlot, type FormatPlan, outputValue } from "./base.js";
import { applyOutputDefaults } from "./chat.js";
import { AdapterParseError } from "./errors.js";
import type { MediaSink } from "./custom-types.js";
import { formatFieldValue, serializeForJson } from "./format-value.js";
import { parseValue, ValidationFailure } from "./parse-value.js";
import { fieldDescriptionBlock, fieldPlaceholder, taskDescription } from "./prompt-parts.js";
import type { Values } from "./records.js";
import { validate } from "./validate.js";

const PLANS = new WeakMap<Signature, FormatPlan>();
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

export class XMLAdapter extends BaseAdapter {
  readonly name = "xml" as const;
  protected readonly plans = PLANS;

  protected systemMessage(sig: Signature): string {
    const group = (fields: Signature["inputFields"]) =>
      fields
        .map((f) => (f.kind === "output" && usesNestedXml(f.type) ? xmlSchema(f.name, f.type) : this.section(f, null)))
        .join("\n\n");
    const structure = [
      "All interactions will be structured in the following way, with the appropriate values filled in.",
      group(sig.inputFields),
      group(sig.outputFields),
    ].join("\n\n");
    return `${fieldDescriptionBlock(sig.inputFields, sig.outputFields)}\n${structure}\n${taskDescription(sig.instructions)}`;
  }

  protected outputRequirements(sig: Signature): string {
    const fields = sig.outputFields.map((f) => `\`<${f.name}>\``).join(", then ");
    const schemas = sig.outputFields.filter((f) => usesNestedXml(f.type)).map((f) => xmlSchema(f.name, f.type));
    return (
      `Respond with the corresponding output fields wrapped in XML tags ${fields}.` +
      (schemas.length > 0 ? ` Use this nested XML structure: ${schemas.join(" ")}` : "")
    );
  }

  protected override inputSection(slot: FieldSlot, value: unknown, media?: MediaSink): string {
    return `<${slot.name}>\n${formatFieldValue(slot.field, value, media)}\n</${slot.name}>`;
  }

  protected assistantContent(plan: FormatPlan, outputs: Values, missing: string | undefined): string {
    const parts = plan.outputs.map((slot) => this.outputSection(slot.field, outputValue(outputs, slot.name, missing)));
    return pyStrip(parts.join("\n\n"));
  }

  /** A field's placeholder in the system message (`{name}` plus its type note), as a section. */
  private section(field: Signature["inputFields"][number], _value: null): string {
    return this.outputSection(field, fieldPlaceholder(field), true);
  }

  /** DSPy's `format_field_with_value` for one output (or a placeholder when `placeholder`). */
  private outputSection(field: Signature["inputFields"][number], value: unknown, placeholder = false): string {
    const serialized = serializeForJson(value);
    const isOutput = field.kind === "output";
    if (
      !placeholder &&
      isOutput &&
      usesNestedXml(field.type) &&
      serialized !== null &&
      typeof serialized === "object"
    ) {
      return valueToXml(serialized, field.name);
    }
    let formatted = placeholder ? (value as string) : formatFieldValue(field, value);
    if (isOutput && field.type.kind === "str") formatted = formatted.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
    return `<${field.name}>\n${formatted}\n</${field.name}>`;
  }

  parse(signature: Signature, completion: string): Record<string, unknown> {
    const plan = this.plan(signature);
    const expectedFields = [...plan.outputNames];
    let root: XmlElement;
    try {
      root = xmlFromString(`<dspy_root>${completion}</dspy_root>`);
    } catch (e) {
      if (!(e instanceof XmlParseError)) throw e;
      throw new AdapterParseError({
        adapter: "XMLAdapter",
        completion,
        expectedFields,
        reason: `Failed to parse XML: ${e.message}`,
        fix: "the completion must be well-formed XML: escape & and < in values (&amp; &lt;)",
        cause: e,
      });
    }
    const elements = groupChildren(root);
    const parsed: Record<string, unknown> = {};
    for (const slot of plan.outputs) {
      const found = elements.get(slot.name);
      if (!found) continue;
      const schema = rawJsonSchema(slot.field.type);
      const defs = (schema.$defs ?? {}) as Record<string, JSONSchema>;
      const candidates = [schema, ...((schema.anyOf as JSONSchema[] | undefined) ?? [])];
      let error: unknown;
      let value: unknown = null;
      let done = false;
      for (const candidate of candidates) {
        try {
          value = elementsToValue(found, candidate, defs);
          setOwn(parsed, slot.name, toPlain(parseOrValidate(value, slot.field.type)));
          done = true;
          break;
        } catch (e) {
          if (!(e instanceof ValidationFailure)) throw e;
          error = e;
        }
      }
      if (!done) {
        throw new AdapterParseError({
          adapter: "XMLAdapter",
          completion,
          expectedFields,
          field: slot.name,
          reason: `Failed to parse field ${slot.name} with value ${pyStr(value)}: ${(error as Error).message}`,
          fix: `the value of \`${slot.name}\` must be a valid ${slot.field.typeName}`,
          cause: error,
        });
      }
    }
    return applyOutputDefaults(plan, parsed, completion, "XMLAdapter");
  }
}

/** `parse_value`, then pydantic's validation of the value as read if that fails (DSPy's order). */
function parseOrValidate(value: unknown, type: TypeNode): unknown {
  try {
    return parseValue(value, type);
  } catch (e) {
    if (!(e instanceof ValidationFailure)) throw e;
    return validate(value, type);
  }
}

/** Lists, dicts and structured models (not DSPy's own types) are written as nested XML. */
export function usesNestedXml(type: TypeNode): boolean {
  let t = type;
  if (t.kind === "union") {
    const members = t.options.filter((o) => o.kind !== "none");
    if (members.length === 1) t = members[0]!;
  }
  if (t.kind === "list" && t.item && t.origin === undefined) {
    return !(t.item.kind === "history" || t.item.kind === "image");
  }
  if (t.kind === "dict" && t.key && t.origin === undefined) return true;
  return t.kind === "object";
}

/** `_value_to_xml`: lists become `<item>`s, dict keys become tags (or `<entry key=...>`), None is empty. */
function valueToXml(value: unknown, tag: string, key?: string): string {
  const attrs = key === undefined ? "" : ` key=${quoteAttr(key)}`;
  if (Array.isArray(value)) {
    const children = value.map((item) => valueToXml(item, "item")).join("");
    return children ? `<${tag}${attrs}>${children}</${tag}>` : `<${tag}${attrs} />`;
  }
  if (value !== null && typeof value === "object") {
    let children = "";
    for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
      const probe = name.slice(0, 1) + name.slice(1).replaceAll("-", "_").replaceAll(".", "_");
      children += IDENTIFIER.test(probe) ? valueToXml(child, name) : valueToXml(child, "entry", name);
    }
    return `<${tag}${attrs}>${children}</${tag}>`;
  }
  if (value === null || value === undefined) return `<${tag}${attrs} />`;
  return `<${tag}${attrs}>${pyStr(value).replaceAll("&", "&amp;").replaceAll("<", "&lt;")}</${tag}>`;
}

/** `_xml_schema`: the nested XML skeleton the LM is asked to fill. */
function xmlSchema(tag: string, type: TypeNode): string {
  const schema = rawJsonSchema(type);
  return schemaToXml(tag, schema, (schema.$defs ?? {}) as Record<string, JSONSchema>, new Set());
}

function schemaToXml(tag: string, schema: JSONSchema, defs: Record<string, JSONSchema>, seen: Set<string>): string {
  const ref = schema.$ref;
  if (typeof ref === "string") {
    const name = ref.slice(ref.lastIndexOf("/") + 1);
    return seen.has(name) ? `<${tag}>...</${tag}>` : schemaToXml(tag, defs[name] ?? {}, defs, new Set([...seen, name]));
  }
  const choices = schema.anyOf as JSONSchema[] | undefined;
  if (choices && choices.length > 0) {
    return schemaToXml(tag, choices.find((s) => s.type !== "null") ?? choices[0]!, defs, seen);
  }
  if (schema.type === "array") {
    return `<${tag}>${schemaToXml("item", (schema.items ?? {}) as JSONSchema, defs, seen)}</${tag}>`;
  }
  const props = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const children = Object.entries(props)
    .map(([name, child]) => schemaToXml(name, child, defs, seen))
    .join("");
  return children ? `<${tag}>${children}</${tag}>` : `<${tag}>...</${tag}>`;
}

/** `_group_children`: children by tag, `<entry key="k">` filed under k, in document order. */
function groupChildren(el: XmlElement): Map<string, XmlElement[]> {
  const groups = new Map<string, XmlElement[]>();
  for (const child of el.children) {
    const name = child.tag === "entry" ? (child.attrib.get("key") ?? child.tag) : child.tag;
    const list = groups.get(name);
    if (list) list.push(child);
    else groups.set(name, [child]);
  }
  return groups;
}

const text = (el: XmlElement) => el.text ?? "";

/** `_elements_to_value`: the elements of one field, read by the shape its JSON schema describes. */
function elementsToValue(elements: XmlElement[], given: JSONSchema, defs: Record<string, JSONSchema>): unknown {
  const ref = typeof given.$ref === "string" ? given.$ref.slice(given.$ref.lastIndexOf("/") + 1) : "";
  let schema = defs[ref] ?? given;
  const first = elements[0]!;
  const choices = schema.anyOf as JSONSchema[] | undefined;
  if (choices && choices.length > 0) {
    const nullable = choices.some((c) => Object.keys(c).length === 1 && c.type === "null");
    if (nullable && first.children.length === 0 && pyStrip(text(first)) === "") return null;
    const nonNull = choices.filter((c) => c.type !== "null");
    schema = nonNull[0] ?? schema;
    if (first.children.length > 0) schema = nonNull.find((c) => c.type !== "string") ?? schema;
  }
  if (schema.type === "array") {
    let items = elements;
    if (elements.length === 1 && first.children.length === 0) {
      const t = pyStrip(text(first));
      if (!t || t.startsWith("[")) return t ? t : [];
    }
    if (elements.length === 1) {
      const nested = groupChildren(first).get("item");
      if (nested && nested.length > 0) items = nested;
    }
    return items.map((e) => elementsToValue([e], (schema.items ?? {}) as JSONSchema, defs));
  }
  if (schema.type === "string" && first.children.length > 0) {
    return text(first) + first.children.map(xmlToString).join("");
  }
  const children = groupChildren(first);
  if (children.size === 0) {
    if (schema.type === "object" && pyStrip(text(first)) === "") return {};
    const values = elements.map((e) => pyStrip(text(e)));
    return values.length === 1 ? values[0] : values;
  }
  const props = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const extra = schema.additionalProperties;
  const childSchema = extra !== null && typeof extra === "object" ? (extra as JSONSchema) : {};
  const out: Record<string, unknown> = {};
  for (const [name, items] of children) {
    setOwn(out, name, elementsToValue(items, Object.hasOwn(props, name) ? props[name]! : childSchema, defs));
  }
  return out;
}
