/**
 * DSPy's JSONAdapter: inputs in `[[ ## name ## ]]` sections, outputs as one JSON object. Parsing
 * repairs the completion the way `json_repair` does, falls back to the first balanced `{...}`,
 * drops unknown keys and validates each value like the ChatAdapter. `responseFormat` gives the
 * OpenAI structured-outputs schema DSPy builds (`_get_structured_outputs_response_format`).
 */
import type { ResponseFormat } from "../lm/types.js";
import type { Signature } from "../signature/signature.js";
import type { FormatPlan } from "./base.js";
import { BaseAdapter, outputValue } from "./base.js";
import { applyOutputDefaults } from "./chat.js";
import { NestingTooDeepError } from "../py/errors.js";
import { AdapterParseError } from "./errors.js";
import { serializeForJson } from "./format-value.js";
import { repairJsonLoads } from "../py/json-repair.js";
import { ValidationFailure, parseValue } from "./parse-value.js";
import {
  fieldDescriptionBlock,
  fieldPlaceholder,
  marker,
  pythonTypeReminder,
  taskDescription,
} from "./prompt-parts.js";
import { PyFloat, PyTuple, pyJsonDumps, pyStrip, setOwn, toPlain } from "../py/builtins.js";
import type { Values } from "./records.js";
import { structuredOutputsFormat } from "./structured-output.js";

const PLANS = new WeakMap<Signature, FormatPlan>();
const FORMATS = new WeakMap<Signature, ResponseFormat>();

export class JSONAdapter extends BaseAdapter {
  readonly name = "json" as const;
  protected readonly plans = PLANS;

  protected systemMessage(sig: Signature): string {
    const inputs = pyStrip(sig.inputFields.map((f) => `${marker(f.name)}\n${fieldPlaceholder(f)}`).join("\n\n"));
    const outputs = jsonObject(sig.outputFields.map((f) => [f.name, JSON.stringify(fieldPlaceholder(f))]));
    const structure = pyStrip(
      [
        "All interactions will be structured in the following way, with the appropriate values filled in.",
        "Inputs will have the following structure:",
        inputs,
        "Outputs will be a JSON object with the following fields.",
        outputs,
      ].join("\n\n"),
    );
    return `${fieldDescriptionBlock(sig.inputFields, sig.outputFields)}\n${structure}\n${taskDescription(sig.instructions)}`;
  }

  protected outputRequirements(sig: Signature): string {
    const fields = sig.outputFields.map((f) => `\`${f.name}\`${pythonTypeReminder(f)}`).join(", then ");
    return `Respond with a JSON object in the following order of fields: ${fields}.`;
  }

  protected assistantContent(plan: FormatPlan, outputs: Values, missing: string | undefined): string {
    return jsonObject(
      plan.outputs.map((slot) => {
        const value = serializeForJson(outputValue(outputs, slot.name, missing));
        return [slot.name, pyJsonDumps(value, slot.field.type, 2, "  ")];
      }),
    );
  }

  responseFormat(signature: Signature): ResponseFormat {
    let format = FORMATS.get(signature);
    if (!format) {
      format = structuredOutputsFormat(signature);
      FORMATS.set(signature, format);
    }
    return format;
  }

  parse(signature: Signature, completion: string): Record<string, unknown> {
    const plan = this.plan(signature);
    let text = completion;
    let fields: unknown;
    try {
      fields = repairJsonLoads(text);
      if (!isDict(fields)) {
        const object = firstBalancedObject(text);
        if (object !== undefined) {
          text = object;
          fields = repairJsonLoads(text);
        }
      }
    } catch (e) {
      if (!(e instanceof NestingTooDeepError)) throw e;
      throw new AdapterParseError({
        adapter: "JSONAdapter",
        completion: text,
        expectedFields: [...plan.outputNames],
        reason: `LM response cannot be serialized to a JSON object: ${e.message}.`,
        fix: e.fix,
        cause: e,
      });
    }
    if (!isDict(fields)) {
      throw new AdapterParseError({
        adapter: "JSONAdapter",
        completion: text,
        expectedFields: [...plan.outputNames],
        reason: "LM response cannot be serialized to a JSON object.",
        fix: "the completion must contain a JSON object with the output fields",
      });
    }
    const parsed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (!plan.outputNames.has(key)) continue;
      const field = signature.field(key)!;
      try {
        setOwn(parsed, key, toPlain(parseValue(value, field.type)));
      } catch (e) {
        if (!(e instanceof ValidationFailure)) throw e;
        throw new AdapterParseError({
          adapter: "JSONAdapter",
          completion: text,
          expectedFields: [...plan.outputNames],
          field: key,
          reason: `Failed to parse field ${key}: ${e.message}`,
          fix: `the value of \`${key}\` must be a valid ${field.typeName}`,
          cause: e,
        });
      }
    }
    return applyOutputDefaults(plan, parsed, text, "JSONAdapter");
  }
}

/** `json.dumps(d, indent=2)` for a dict whose values are already dumped. */
function jsonObject(entries: [string, string][]): string {
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${v}`).join(",\n")}\n}`;
}

function isDict(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof PyFloat) && !(v instanceof PyTuple);
}

/**
 * The `regex` module's `\{(?:[^{}]|(?R))*\}`: the first `{` that closes, with its balanced body.
 * One pass with a stack of open braces (trying each `{` in turn and scanning to its close was
 * quadratic on unclosed input such as "[" + "{" * 100000). A brace's stack partner is where a
 * depth count started at that brace returns to zero, so the leftmost matched brace is the answer;
 * once the stack empties, no later brace can start further left.
 */
export function firstBalancedObject(text: string): string | undefined {
  const open: number[] = [];
  let bestStart = -1;
  let bestEnd = -1;
  for (let i = text.indexOf("{"); i >= 0 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) open.push(i);
    else if (c === 0x7d && open.length > 0) {
      const start = open.pop()!;
      if (bestStart < 0 || start < bestStart) {
        bestStart = start;
        bestEnd = i;
      }
      if (open.length === 0) break;
    }
  }
  return bestStart < 0 ? undefined : text.slice(bestStart, bestEnd + 1);
}
