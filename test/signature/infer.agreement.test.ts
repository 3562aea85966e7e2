/**
 * The compile-time reading of string signatures (infer.ts) must agree with the runtime parser:
 * for every spec the runtime accepts, the inferred field names and types must be exactly what the
 * runtime's TypeNodes say. The expected TypeScript text is generated here from `Signature.parse`
 * (an independent path), then one in-memory program is type-checked with the TypeScript compiler
 * and every `Expect<Equal<...>>` that fails is reported with its spec. Equal is mutual
 * assignability, which still tells apart optional from required, readonly from mutable, a
 * literal from a string and unknown from anything narrower.
 *
 * Specs: DSPy's golden fixture cases plus a few hundred generated ones (seeded, reproducible)
 * drawn from the whole grammar: nesting, both quote styles, typing./dspy. prefixes, `X | None`,
 * whitespace and newlines.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Signature } from "../../src/signature/signature.js";
import type { LiteralValue, TypeNode } from "../../src/signature/types.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// ---- Expected TypeScript text from a runtime TypeNode --------------------------------------

function literalText(v: LiteralValue): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "number") return String(v);
  // The type level reads a body with quotes or backslashes as `string` (wider, never wrong).
  return /['"\\]/.test(v) ? "string" : JSON.stringify(v);
}

function tsText(t: TypeNode, input: boolean): string {
  const arr = (item: string) => (input ? `readonly (${item})[]` : `(${item})[]`);
  switch (t.kind) {
    case "str":
    case "bytes":
    case "code":
    case "reasoning":
      return "string";
    case "int":
    case "float":
      return "number";
    case "bool":
      return "boolean";
    case "none":
      return "null";
    case "any":
    case "image":
    case "audio":
    case "file":
    case "tool":
    case "toolCalls":
    case "object":
    case "type":
      return "unknown";
    case "history":
      return "HistoryValue";
    case "list":
    case "set":
      return t.item ? arr(tsText(t.item, input)) : arr("unknown");
    case "dict": {
      const value = t.value ? tsText(t.value, input) : "unknown";
      return input ? `Readonly<Record<string, ${value}>>` : `Record<string, ${value}>`;
    }
    case "tuple":
      if (!t.items) return arr("unknown");
      if (t.variadic) return arr(tsText(t.items[0]!, input));
      return `${input ? "readonly " : ""}[${t.items.map((i) => tsText(i, input)).join(", ")}]`;
    case "union":
      return t.options.map((o) => `(${tsText(o, input)})`).join(" | ");
    case "literal":
      return t.values.map(literalText).join(" | ");
    case "enum":
      return "unknown";
  }
}

/** Input keys are optional exactly where the inferred type admits null (or is unknown). */
function admitsNull(t: TypeNode): boolean {
  if (["none", "any", "image", "audio", "file", "object", "type"].includes(t.kind)) return true;
  if (t.kind === "union") return t.options.some(admitsNull);
  if (t.kind === "literal") return t.values.includes(null);
  return false;
}

function expectedObject(sig: Signature, kind: "input" | "output"): string {
  const fields = kind === "input" ? sig.inputFields : sig.outputFields;
  const parts = fields.map((f) => {
    const optional = kind === "input" && admitsNull(f.type) ? "?" : "";
    return `${JSON.stringify(f.name)}${optional}: ${tsText(f.type, kind === "input")}`;
  });
  return `{ ${parts.join("; ")} }`;
}

// ---- Generated specs (a small seeded generator: reproducible, no dependency) ---------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(count: number, seed: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ws = () => pick(["", "", "", " ", "  ", "\n  ", "\t"]);
  const literalMember = () =>
    pick([
      () => `'${pick(["a", "yes", "no", "x y", "a, b", "it\\'s", 'say "hi"', "ünï"])}'`,
      () => `"${pick(["b", "maybe", "it's", "c|d", "[x]"])}"`,
      () => String(pick([0, 1, 2, -3, 2.5, 10])),
      () => pick(["True", "False", "None"]),
    ])();
  const type = (depth: number): string => {
    const scalar = () =>
      pick(["str", "int", "float", "bool", "bytes", "Any", "typing.Any", "None", "Text", "typing.Text"]);
    if (depth >= 3) return scalar();
    const next = () => type(depth + 1);
    return pick([
      scalar,
      scalar,
      () =>
        `${pick(["list", "List", "typing.List", "set", "frozenset", "Sequence", "typing.Iterable", "collections.deque"])}[${ws()}${next()}${ws()}]`,
      () => `Annotated[${next()}, ${pick(["'note'", '"a, b"', "1", "True"])}]`,
      () => `Type[${scalar()}]`,
      () =>
        `${pick(["dict", "Dict", "typing.Dict", "Mapping", "collections.defaultdict"])}[${pick(["str", "int"])},${ws()}${next()}]`,
      () => `${pick(["tuple", "Tuple"])}[${next()}, ${next()}]`,
      () => `tuple[${next()}, ...]`,
      () => `${pick(["Optional", "typing.Optional"])}[${next()}]`,
      () => `Union[${next()}, ${next()}${r() < 0.5 ? ", None" : ""}]`,
      () => `${next()} | None`,
      () => `${scalar()} |${ws()}${scalar()}`,
      () =>
        `${pick(["Literal", "typing.Literal"])}[${Array.from({ length: 1 + Math.floor(r() * 3) }, literalMember).join(", ")}]`,
      () => pick(["list", "dict", "tuple", "List", "Dict"]),
      () => pick(["dspy.History", "History", "Image", "dspy.Image", "dspy.Audio", "File"]),
    ])();
  };
  const names = ["question", "context", "answer", "x", "y_2", "camelCase", "données", "質問", "_private", "n"];
  const specs: string[] = [];
  while (specs.length < count) {
    const used = new Set<string>();
    const field = () => {
      let name = pick(names);
      while (used.has(name)) name = `${name}_${used.size}`;
      used.add(name);
      return r() < 0.25 ? `${ws()}${name}${ws()}` : `${ws()}${name}${ws()}:${ws()}${type(0)}${ws()}`;
    };
    const list = (n: number) => Array.from({ length: n }, field).join(",");
    const spec = `${list(Math.floor(r() * 3))}${r() < 0.1 ? "," : ""}->${list(1 + Math.floor(r() * 3))}`;
    try {
      Signature.parse(spec);
      specs.push(spec);
    } catch {
      // The generator may write what the runtime rejects (e.g. `Optional[None]`); only accepted specs count.
    }
  }
  return specs;
}

// ---- The check ------------------------------------------------------------------------

type FixtureCase = { spec: string; ok: boolean };
const fixture = JSON.parse(readFileSync(join(root, "test/fixtures/signatures.json"), "utf8")) as {
  cases: FixtureCase[];
};

function typecheck(specs: string[], expect = expectedObject): { spec: string; message: string }[] {
  const lines = [
    `import type { HistoryValue, InferSignature } from ${JSON.stringify(join(root, "src/signature/infer.js"))};`,
    // Mutual assignability, not type identity: identity also tells apart equal types built by
    // different routes (a mapped tuple vs a written one), which no user can observe.
    "type Equal<X, Y> = [X] extends [Y] ? ([Y] extends [X] ? true : false) : false;",
    "type Expect<T extends true> = T;",
    "export type Keep = HistoryValue;",
  ];
  const lineOf: string[] = [];
  specs.forEach((spec, i) => {
    const sig = Signature.parse(spec);
    lines.push(`type S${i} = InferSignature<${JSON.stringify(spec)}>;`);
    lineOf[lines.length] = spec;
    lines.push(`export type I${i} = Expect<Equal<S${i}["inputs"], ${expect(sig, "input")}>>;`);
    lineOf[lines.length] = spec;
    lines.push(`export type O${i} = Expect<Equal<S${i}["outputs"], ${expect(sig, "output")}>>;`);
  });
  const file = join(root, "test/signature/__agreement__.ts");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const text = lines.join("\n");
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));
  host.fileExists = (
    (exists) => (name: string) =>
      name === file || exists(name)
  )(host.fileExists.bind(host));
  host.getSourceFile = (name, version, onError, create) =>
    name === file ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, onError, create);
  const program = ts.createProgram([file], options, host);
  const source = program.getSourceFile(file)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const line = d.start === undefined ? -1 : source.getLineAndCharacterOfPosition(d.start).line + 1;
    return { spec: lineOf[line] ?? "(setup)", message: ts.flattenDiagnosticMessageText(d.messageText, "\n") };
  });
}

describe("type-level signatures agree with the runtime parser", () => {
  it("on DSPy's golden specs and 300 generated ones, field for field", () => {
    const golden = fixture.cases.filter((c) => c.ok && c.spec !== "a, a -> b").map((c) => c.spec);
    const accepted = golden.filter((spec) => {
      try {
        Signature.parse(spec);
        return true;
      } catch {
        return false; // e.g. a spec with no outputs, which DSPex rejects on purpose
      }
    });
    const generated = generate(300, 20261201);
    assert.ok(accepted.length >= 20, `only ${accepted.length} golden specs`);
    const failures = typecheck([...accepted, ...generated]);
    assert.deepEqual(
      failures.slice(0, 5),
      [],
      `${failures.length} disagreements; first: ${JSON.stringify(failures.slice(0, 5), null, 2)}`,
    );
  });

  it("reports a disagreement when there is one (the check itself can fail)", () => {
    const wrong = (sig: Signature, kind: "input" | "output") =>
      kind === "output" ? "{ answer: string }" : expectedObject(sig, kind);
    assert.equal(typecheck(["question -> answer: int"]).length, 0);
    assert.equal(typecheck(["question -> answer: int"], wrong).length, 1);
  });
});
