/**
 * Replays one differential fuzz case (test/fixtures/fuzz.json, made by scripts/fixtures/fuzz.py from
 * real DSPy) on DSPex and says whether the result is DSPy's. Used by fuzz.test.ts and report.ts.
 */
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { AdapterParseError } from "../../src/adapters/errors.js";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { JSONAdapter } from "../../src/adapters/json.js";
import { TwoStepAdapter } from "../../src/adapters/two-step.js";
import { pyRepr } from "../../src/py/builtins.js";
import { repairJsonLoads } from "../../src/py/json-repair.js";
import type { Adapter } from "../../src/adapters/types.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Predict } from "../../src/modules/predict.js";
import { context } from "../../src/runtime/settings.js";
import { Signature } from "../../src/signature/signature.js";
import type { TypeNode } from "../../src/signature/types.js";
import { signatureFromZod } from "../../src/signature/zod.js";
import { contentText } from "../../src/lm/compat.js";
import { adapterFor, stateText } from "./hooks.js";

export type FuzzCase = Record<string, unknown> & { id: number; area: string };
export interface Outcome {
  /** area, split by adapter where one applies ("parse/json"). */
  bucket: string;
  match: boolean;
  detail?: string;
}

const chat = new ChatAdapter();
const json = new JSONAdapter();

/** Undoes fuzz.py's `enc` tags: big ints, integral and special floats, non-string dict keys. */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof obj.__int__ === "string") return BigInt(obj.__int__);
    if (typeof obj.__float__ === "string") {
      const r = obj.__float__;
      return r === "nan" ? Number.NaN : r === "inf" ? Infinity : r === "-inf" ? -Infinity : Number(r);
    }
    if (Array.isArray(obj.__dict__)) {
      return Object.fromEntries((obj.__dict__ as [unknown, unknown][]).map(([k, v]) => [String(decode(k)), decode(v)]));
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

/** fuzz.py's `crepr`: Python's repr, set members sorted. */
export function crepr(value: unknown, type?: TypeNode): string {
  if (type?.kind === "set" && Array.isArray(value)) {
    const items = value.map((v) => crepr(v, type.item)).sort(pySort);
    if (type.frozen) return items.length === 0 ? "frozenset()" : `frozenset({${items.join(", ")}})`;
    return items.length === 0 ? "set()" : `{${items.join(", ")}}`;
  }
  if (type?.kind === "union" && value !== null) {
    const members = type.options.filter((o) => o.kind !== "none");
    if (members.length === 1) return crepr(value, members[0]);
  }
  if (Array.isArray(value) && type?.kind === "list") return `[${value.map((v) => crepr(v, type.item)).join(", ")}]`;
  if (value !== null && typeof value === "object" && !Array.isArray(value) && type?.kind === "dict") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${crepr(k, type.key)}: ${crepr(v, type.value)}`)
      .join(", ")}}`;
  }
  return pyRepr(value, type);
}

/** Python sorts the reprs as str: by code point. */
function pySort(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function attempt<T>(run: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

const short = (v: unknown) => {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 400 ? `${s.slice(0, 400)}…` : s;
};

function firstDiff(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `at ${i}: dspy ${JSON.stringify(a.slice(Math.max(0, i - 40), i + 60))} vs ours ${JSON.stringify(b.slice(Math.max(0, i - 40), i + 60))}`;
}

function compareMessages(expected: unknown, actual: unknown): string | undefined {
  if (isDeepStrictEqual(expected, actual)) return undefined;
  const e = expected as { content: string }[];
  const a = actual as { content: string }[];
  if (!Array.isArray(a) || e.length !== a.length) return `message count ${e.length} vs ${a?.length}`;
  for (let i = 0; i < e.length; i++) {
    if (e[i]!.content !== a[i]!.content) return `message ${i} ${firstDiff(e[i]!.content, a[i]!.content)}`;
  }
  return "roles differ";
}

function signatureOf(c: FuzzCase): Signature {
  return Signature.parse(c.spec as string, c.instructions as string | undefined);
}

function replaySignature(c: FuzzCase): Outcome[] {
  const got = attempt(() => signatureOf(c));
  const bucket = "signature";
  if (!c.ok) return [{ bucket, match: !got.ok, ...(got.ok ? { detail: `DSPy rejects: ${c.error}` } : {}) }];
  if (!got.ok) return [{ bucket, match: false, detail: `we reject: ${(got.error as Error).message}` }];
  const sig = got.value;
  const ours = {
    instructions: sig.instructions,
    fields: sig.fields.map((f) => ({
      name: f.name,
      kind: f.kind,
      typeName: f.typeName,
      prefix: f.prefix,
      description: f.description,
      jsonSchema: f.jsonSchema,
    })),
  };
  const a = JSON.stringify(c.signature);
  const b = JSON.stringify(ours);
  return [{ bucket, match: a === b, ...(a === b ? {} : { detail: firstDiff(a, b) }) }];
}

function replayFormat(c: FuzzCase): Outcome[] {
  const out: Outcome[] = [];
  const messages = c.messages as Record<string, unknown>;
  const inputs = decode(c.inputs) as Record<string, unknown>;
  const demos = decode(c.demos) as Record<string, unknown>[];
  for (const [name, expected] of Object.entries(messages)) {
    const bucket = `format/${name}`;
    const adapter = adapterFor(name);
    if (!adapter) {
      out.push({ bucket, match: false, detail: `no ${name} adapter` });
      continue;
    }
    const got = attempt(() => adapter.format(signatureOf(c), demos, inputs));
    const dspyFailed = expected !== null && typeof expected === "object" && "error" in (expected as object);
    if (dspyFailed || !got.ok) {
      out.push({
        bucket,
        match: dspyFailed && !got.ok,
        detail: dspyFailed ? `DSPy fails: ${short(expected)}` : `we fail: ${(got as { error: Error }).error.message}`,
      });
      continue;
    }
    const diff = compareMessages(expected, got.value);
    out.push({ bucket, match: diff === undefined, ...(diff ? { detail: diff } : {}) });
  }
  return out;
}

function reprs(sig: Signature, values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, crepr(v, sig.field(k)?.type)]));
}

function compareParse(
  bucket: string,
  c: FuzzCase,
  got: { ok: true; value: Record<string, unknown> } | { ok: false; error: unknown },
  sig: Signature,
): Outcome {
  if (!c.ok) {
    return {
      bucket,
      match: !got.ok,
      ...(got.ok ? { detail: `DSPy fails (${short(c.error)}), we give ${short(reprs(sig, got.value))}` } : {}),
    };
  }
  if (!got.ok) return { bucket, match: false, detail: `we fail: ${(got.error as Error).message.slice(0, 300)}` };
  const a = JSON.stringify(c.repr);
  const b = JSON.stringify(reprs(sig, got.value));
  return { bucket, match: a === b, ...(a === b ? {} : { detail: `dspy ${short(a)} vs ours ${short(b)}` }) };
}

function replayParse(c: FuzzCase): Outcome[] {
  const name = c.adapter as string;
  const bucket = `parse/${name}`;
  const adapter = adapterFor(name);
  if (!adapter) return [{ bucket, match: false, detail: `no ${name} adapter` }];
  const sig = attempt(() => signatureOf(c));
  if (!sig.ok) return [{ bucket, match: false, detail: `signature rejected: ${(sig.error as Error).message}` }];
  const got = attempt(() => adapter.parse(sig.value, c.completion as string));
  return [compareParse(bucket, c, got, sig.value)];
}

async function replayModule(c: FuzzCase): Promise<Outcome[]> {
  const bucket = `module/${c.module}`;
  const built = attempt(() => {
    const sig = signatureOf(c);
    return c.module === "cot" ? new ChainOfThought(sig) : new Predict(sig);
  });
  if (!built.ok) {
    return [{ bucket, match: false, detail: `we reject the module: ${(built.error as Error).message}` }];
  }
  const module = built.value;
  const predictor = module instanceof ChainOfThought ? module.predict : module;
  predictor.demos = decode(c.demos) as Record<string, unknown>[];
  const lm = new ScriptedLM([c.completion as string, c.completion as string]);
  let outcome: { ok: true; value: Record<string, unknown> } | { ok: false; error: unknown };
  const warnings: string[] = [];
  try {
    const pred = await context({ lm, adapter: chat, warn: (m) => warnings.push(m) }, () =>
      module.call(decode(c.inputs) as Record<string, unknown>),
    );
    outcome = { ok: true, value: pred.toDict() as Record<string, unknown> };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const warned = warnings.some((w) => w.startsWith("Not all input fields"));
  if (warned !== c.warned)
    return [{ bucket, match: false, detail: `missing-input warning: dspy ${c.warned}, ours ${warned}` }];
  // c.messages holds the first request's conversation, or none when DSPy failed before calling the
  // LM: compare the conversations themselves, so that a difference names its message and position.
  const sent = lm.requests.slice(0, 1).map((r) => r.messages);
  const expected = c.messages as unknown[];
  const diff =
    expected.length !== sent.length
      ? `DSPy sent ${expected.length} requests, we sent ${sent.length}`
      : expected.length === 0
        ? undefined
        : compareMessages(expected[0], sent[0]);
  if (diff) return [{ bucket, match: false, detail: `messages: ${diff}` }];
  if (!c.ok && !outcome.ok) return [{ bucket, match: true }];
  const parsed = compareParse(
    bucket,
    { ...c, repr: c.outputs } as FuzzCase,
    outcome.ok ? outcome : outcome,
    predictor.signature,
  );
  return [parsed];
}

function replayState(c: FuzzCase): Outcome[] {
  const predict = new Predict(signatureOf(c));
  predict.demos = decode(c.demos) as Record<string, unknown>[];
  const saved = attempt(() => stateText(predict));
  if (!c.ok) {
    // DSPy cannot save it (orjson refuses ints beyond 64 bits): we must refuse too, not write something else.
    return [{ bucket: "state/save", match: !saved.ok, detail: `DSPy fails: ${c.error}` }];
  }
  if (!saved.ok) return [{ bucket: "state/save", match: false, detail: String(saved.error) }];
  const out: Outcome[] = [];
  out.push({
    bucket: "state/save",
    match: saved.value === c.saved,
    ...(saved.value === c.saved ? {} : { detail: firstDiff(c.saved as string, saved.value) }),
  });
  const loaded = attempt(() => {
    const p = new Predict(signatureOf(c));
    p.loadState(JSON.parse(c.saved as string) as Record<string, unknown>);
    return chat.format(p.signature, p.demos, decode(c.inputs) as Record<string, unknown>);
  });
  if (!loaded.ok) out.push({ bucket: "state/load", match: false, detail: String(loaded.error) });
  else {
    const diff = compareMessages(c.messages, loaded.value);
    out.push({ bucket: "state/load", match: diff === undefined, ...(diff ? { detail: diff } : {}) });
  }
  return out;
}

// ------------------------------------------------------------------ model: zod twins of pydantic models
type MType =
  | { t: "str" | "int" | "float" | "bool" }
  | { t: "list"; item: MType }
  | { t: "optional"; inner: MType }
  | { t: "literal"; values: (string | number)[] }
  | { t: "dict"; value: MType }
  | { t: "model"; model: MSpec }
  | { t: "enum"; name: string; members: [string, string | number][] }
  | { t: "union"; options: MType[] };
interface MSpec {
  name: string;
  fields: { name: string; type: MType; default?: unknown; desc?: string }[];
}

export function zodOf(t: MType): z.ZodType {
  switch (t.t) {
    case "str":
      return z.string();
    case "int":
      return z.int();
    case "float":
      return z.number();
    case "bool":
      return z.boolean();
    case "list":
      return z.array(zodOf(t.item));
    case "optional":
      return zodOf(t.inner).nullable();
    case "literal":
      return z.literal(t.values);
    case "dict":
      return z.record(z.string(), zodOf(t.value));
    case "model":
      return zodModel(t.model);
    case "enum":
      // A Python Enum class is a titled zod enum (what a TypeScript enum gives z.enum).
      return z.enum(Object.fromEntries(t.members)).meta({ title: t.name });
    case "union":
      return z.union(t.options.map(zodOf) as [z.ZodType, z.ZodType]);
  }
}

export function zodModel(spec: MSpec): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const f of spec.fields) {
    let s = zodOf(f.type);
    if (f.desc !== undefined) s = s.describe(f.desc);
    if ("default" in f) s = (s as z.ZodType<unknown>).default(f.default) as unknown as z.ZodType;
    shape[f.name] = s;
  }
  return z.object(shape).meta({ title: spec.name });
}

function replayModel(c: FuzzCase, prefix = "model"): Outcome[] {
  const spec = c.model as MSpec;
  const model = zodModel(spec);
  const built = attempt(() =>
    signatureFromZod({
      inputs: z.object({ question: z.string() }),
      outputs: z.object({ result: c.list ? z.array(model) : model }),
    }),
  );
  if (!built.ok) return [{ bucket: prefix, match: false, detail: `zod twin rejected: ${String(built.error)}` }];
  const sig = built.value;
  const out: Outcome[] = [];
  const system = c.system as Record<string, string>;
  for (const [name, adapter] of [
    ["chat", chat],
    ["json", json],
  ] as const) {
    const got = contentText(adapter.format(sig, [], { question: "q" })[0]!.content);
    const expected = system[name]!;
    out.push({
      bucket: `${prefix}/format-${name}`,
      match: got === expected,
      ...(got === expected ? {} : { detail: firstDiff(expected, got) }),
    });
  }
  const adapter = c.adapter === "json" ? json : chat;
  const parsed = attempt(() => adapter.parse(sig, c.completion as string));
  const bucket = `${prefix}/parse-${c.adapter}`;
  if (!c.ok) {
    out.push({
      bucket,
      match: !parsed.ok,
      ...(parsed.ok ? { detail: `DSPy fails, we give ${short(parsed.value)}` } : {}),
    });
  } else if (!parsed.ok) out.push({ bucket, match: false, detail: `we fail: ${(parsed.error as Error).message}` });
  else {
    const b = crepr(parsed.value.result, sig.field("result")!.type);
    out.push({ bucket, match: b === c.repr, ...(b === c.repr ? {} : { detail: `dspy ${c.repr} vs ours ${b}` }) });
  }
  return out;
}

/** Enum fields (bare, in containers, in models) through a zod twin of DSPy's signature. */
function replayEnum(c: FuzzCase): Outcome[] {
  if (c.kind === "model") return replayModel(c, "enum/model");
  const shape = (fields: { name: string; type: MType }[]) =>
    z.object(Object.fromEntries(fields.map((f) => [f.name, zodOf(f.type)])));
  const built = attempt(() =>
    signatureFromZod({
      inputs: shape(c.inputs as { name: string; type: MType }[]),
      outputs: shape(c.outputs as { name: string; type: MType }[]),
    }),
  );
  if (!built.ok) return [{ bucket: "enum/field", match: false, detail: `zod twin rejected: ${String(built.error)}` }];
  const sig = built.value;
  const out: Outcome[] = [];
  const values = decode(c.values) as Record<string, unknown>;
  const demos = decode(c.demos) as Record<string, unknown>[];
  for (const [name, expected] of Object.entries(c.messages as Record<string, unknown>)) {
    const bucket = `enum/format-${name}`;
    const got = attempt(() => (name === "json" ? json : chat).format(sig, demos, values));
    const dspyFailed = expected !== null && typeof expected === "object" && "error" in (expected as object);
    if (dspyFailed || !got.ok) {
      out.push({ bucket, match: dspyFailed && !got.ok, detail: dspyFailed ? "DSPy fails" : String(got) });
      continue;
    }
    const diff = compareMessages(expected, got.value);
    out.push({ bucket, match: diff === undefined, ...(diff ? { detail: diff } : {}) });
  }
  const adapter = c.adapter === "json" ? json : chat;
  const got = attempt(() => adapter.parse(sig, c.completion as string));
  out.push(compareParse(`enum/parse-${c.adapter}`, c, got, sig));
  return out;
}

async function replayTwoStep(c: FuzzCase): Promise<Outcome[]> {
  const extractionLM = new ScriptedLM([c.extraction as string, c.extraction as string]);
  const adapter = new TwoStepAdapter(extractionLM);
  const built = attempt(() => signatureOf(c));
  if (!built.ok) return [{ bucket: "twostep/format", match: !c.ok, detail: `we reject: ${String(built.error)}` }];
  const sig = built.value;
  const out: Outcome[] = [];
  const inputs = decode(c.inputs) as Record<string, unknown>;
  const demos = decode(c.demos) as Record<string, unknown>[];
  if (c.messages !== undefined) {
    const got = attempt(() => adapter.format(sig, demos, inputs));
    const diff = got.ok ? compareMessages(c.messages, got.value) : `we fail: ${(got.error as Error).message}`;
    out.push({ bucket: "twostep/format", match: diff === undefined, ...(diff ? { detail: diff } : {}) });
  }
  const predict = new Predict(sig);
  predict.demos = demos;
  let outcome: { ok: true; value: Record<string, unknown> } | { ok: false; error: unknown };
  try {
    const lm = new ScriptedLM([c.completion as string]);
    const pred = await context({ lm, adapter, warn: () => {} }, () => predict.call(inputs));
    outcome = { ok: true, value: pred.toDict() as Record<string, unknown> };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const sent = extractionLM.requests.map((r) => r.messages);
  const diff = compareMessages(c.extraction_messages, sent);
  out.push({ bucket: "twostep/extract", match: diff === undefined, ...(diff ? { detail: diff } : {}) });
  out.push(compareParse("twostep/outputs", { ...c, repr: c.outputs } as FuzzCase, outcome, sig));
  return out;
}

function replayRepair(c: FuzzCase): Outcome[] {
  const got = attempt(() => crepr(repairJsonLoads(c.text as string)));
  if (!c.ok) return [{ bucket: "repair", match: !got.ok, detail: `json_repair fails: ${c.error}` }];
  if (!got.ok) return [{ bucket: "repair", match: false, detail: `we fail: ${(got.error as Error).message}` }];
  const match = got.value === c.repr;
  return [
    {
      bucket: "repair",
      match,
      ...(match ? {} : { detail: `${JSON.stringify(c.text)}: json_repair ${c.repr} vs ours ${got.value}` }),
    },
  ];
}

export async function replay(c: FuzzCase): Promise<Outcome[]> {
  try {
    return await replayArea(c);
  } catch (error) {
    const bucket =
      c.area === "format" || c.area === "signature" || c.area === "repair"
        ? c.area
        : c.area === "twostep"
          ? "twostep/outputs"
          : `${c.area}/${String(c.adapter ?? c.module ?? "save")}`;
    return [{ bucket, match: false, detail: `threw: ${(error as Error).message?.split("\n")[0]}` }];
  }
}

async function replayArea(c: FuzzCase): Promise<Outcome[]> {
  switch (c.area) {
    case "signature":
      return replaySignature(c);
    case "format":
      return replayFormat(c);
    case "parse":
      return replayParse(c);
    case "module":
      return replayModule(c);
    case "state":
      return replayState(c);
    case "model":
      return replayModel(c);
    case "twostep":
      return replayTwoStep(c);
    case "repair":
      return replayRepair(c);
    case "enum":
      return replayEnum(c);
    default:
      throw new Error(`unknown area ${c.area}`);
  }
}

export { AdapterParseError };
export type { Adapter };
