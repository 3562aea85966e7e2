/**
 * Parser for DSPy's string signatures ("question: str, context: list[str] -> answer").
 * DSPy leans on Python's `ast`; we parse the same subset by hand so every rejection can
 * point at a position and suggest a fix.
 */
import { closest } from "../suggest.js";
import { SignatureError } from "./errors.js";
import { type LiteralValue, makeLiteral, makeUnion, STR, type TypeNode } from "./types.js";

export interface ParsedField {
  name: string;
  type: TypeNode;
  typeUndefined: boolean;
}

export interface ParsedSignature {
  inputs: ParsedField[];
  outputs: ParsedField[];
}

type Token =
  | { t: "name"; v: string; pos: number }
  | { t: "str"; v: string; pos: number }
  | { t: "num"; v: number; pos: number }
  | { t: "punct"; v: "[" | "]" | "," | ":" | "|" | "." | "..."; pos: number }
  | { t: "end"; pos: number };

const PY_KEYWORDS = new Set(
  (
    "False None True and as assert async await break class continue def del elif else except finally for from " +
    "global if import in is lambda nonlocal not or pass raise return try while with yield"
  ).split(" "),
);

/**
 * Type names DSPy resolves: builtins, `typing` members (bare or as `typing.X`), `collections`
 * classes (only as `collections.X`) and DSPy's own types. Bare History/Image are accepted too: DSPy
 * finds them in the caller's namespace after `from dspy import History`.
 */
const BUILTINS = ["str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "set", "frozenset"];
const TYPING = [
  "List",
  "Dict",
  "Tuple",
  "Set",
  "FrozenSet",
  "Optional",
  "Union",
  "Literal",
  "Any",
  "Text",
  "Sequence",
  "Mapping",
  "Iterable",
  "Deque",
  "DefaultDict",
  "Annotated",
  "Type",
];
const DSPY_TYPES = ["History", "Image", "Audio", "File", "Tool", "ToolCalls", "Code", "Reasoning"];
const COLLECTIONS = ["deque", "defaultdict"];
const KNOWN_TYPES = [...BUILTINS, ...TYPING, "None", "NoneType", ...DSPY_TYPES] as const;

/** The name a dotted or bare type resolves to, or undefined when DSPy would not find it. */
function resolveTypeName(name: string): string | undefined {
  const dot = name.indexOf(".");
  if (dot < 0) return (KNOWN_TYPES as readonly string[]).includes(name) ? name : undefined;
  const module = name.slice(0, dot);
  const attr = name.slice(dot + 1);
  const members =
    module === "typing" ? TYPING : module === "dspy" ? DSPY_TYPES : module === "collections" ? COLLECTIONS : [];
  return members.includes(attr) ? attr : undefined;
}

export function parseSignatureString(spec: string): ParsedSignature {
  if (spec.trim() === "") {
    throw new SignatureError("Empty signature", {
      spec,
      position: 0,
      fix: 'write inputs and outputs separated by "->", e.g. "question -> answer"',
    });
  }
  const arrows = [...spec.matchAll(/->/g)].map((m) => m.index ?? 0);
  if (arrows.length === 0) {
    throw new SignatureError('Signature has no "->" between inputs and outputs', {
      spec,
      position: spec.length,
      fix: `separate inputs from outputs with "->", e.g. "${spec.trim()} -> answer"`,
    });
  }
  if (arrows.length > 1) {
    throw new SignatureError('Signature must contain exactly one "->"', {
      spec,
      position: arrows[1]!,
      fix: 'put every input left of the single "->" and every output right of it',
    });
  }
  const arrow = arrows[0]!;
  const inputs = new FieldListParser(spec, 0, arrow).parse();
  const outputs = new FieldListParser(spec, arrow + 2, spec.length).parse();
  // DSPy accepts "question ->" and then has nothing to ask the LM for; we say so here instead.
  if (outputs.length === 0) {
    throw new SignatureError("Signature has no output fields", {
      spec,
      position: spec.length,
      fix: `name at least one output after "->", e.g. "${spec.slice(0, arrow).trim() || "question"} -> answer"`,
    });
  }
  const inputNames = new Set(inputs.map((f) => f.name));
  for (const out of outputs) {
    if (inputNames.has(out.name)) {
      throw new SignatureError(`Field "${out.name}" appears as both an input and an output`, {
        spec,
        position: spec.indexOf(out.name, arrow),
        fix: `rename the output, e.g. "${out.name}_out" or a more specific name`,
      });
    }
  }
  return { inputs, outputs };
}

/** Parses one type expression on its own, e.g. "list[str]" (used by the map form). */
export function parseTypeString(typeSpec: string): TypeNode {
  const parser = new FieldListParser(typeSpec, 0, typeSpec.length);
  const t = parser.parseType();
  parser.expectEnd();
  return t;
}

class FieldListParser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(
    private readonly spec: string,
    start: number,
    end: number,
  ) {
    this.tokens = tokenize(spec, start, end);
  }

  parse(): ParsedField[] {
    const fields: ParsedField[] = [];
    const seen = new Map<string, number>();
    while (this.peek().t !== "end") {
      const nameTok = this.next();
      if (nameTok.t !== "name") {
        throw this.error(
          `Expected a field name, found ${describe(nameTok)}`,
          nameTok.pos,
          "field names are identifiers",
        );
      }
      if (!isIdentifier(nameTok.v) || PY_KEYWORDS.has(nameTok.v)) {
        throw this.error(
          `"${nameTok.v}" is not a valid field name`,
          nameTok.pos,
          "use a Python identifier that is not a keyword",
        );
      }
      if (seen.has(nameTok.v)) {
        throw this.error(`Duplicate field "${nameTok.v}"`, nameTok.pos, "each field name may appear only once");
      }
      // Python normalizes identifiers to NFKC while parsing ("ﬁle" is the field "file").
      const name = nameTok.v.normalize("NFKC");
      if (seen.has(name)) {
        throw this.error(`Duplicate field "${name}"`, nameTok.pos, "each field name may appear only once");
      }
      seen.set(name, nameTok.pos);
      let type = STR;
      let typeUndefined = true;
      if (this.peekPunct(":")) {
        this.next();
        type = this.parseType();
        typeUndefined = false;
      }
      fields.push({ name, type, typeUndefined });
      const sep = this.peek();
      if (sep.t === "end") break;
      if (sep.t === "punct" && sep.v === ",") {
        this.next();
        continue;
      }
      throw this.error(
        `Expected "," or "->" after field "${nameTok.v}", found ${describe(sep)}`,
        sep.pos,
        sep.t === "name" ? `separate fields with commas: "${nameTok.v}, ${sep.v}"` : "separate fields with commas",
      );
    }
    return fields;
  }

  parseType(): TypeNode {
    const first = this.parsePrimary();
    if (!this.peekPunct("|")) return first;
    const options = [first];
    while (this.peekPunct("|")) {
      this.next();
      options.push(this.parsePrimary());
    }
    // PEP 604 unions keep source order, as typing.Union does ("None | int" is Union[NoneType, int]).
    return makeUnion(options);
  }

  expectEnd(): void {
    const tok = this.peek();
    if (tok.t !== "end") throw this.error(`Unexpected ${describe(tok)} after the type`, tok.pos);
  }

  private parsePrimary(): TypeNode {
    const tok = this.next();
    if (tok.t === "name" && (tok.v === "None" || tok.v === "NoneType")) return { kind: "none" };
    if (tok.t !== "name") {
      throw this.error(`Expected a type, found ${describe(tok)}`, tok.pos, "types look like str, int, list[str]");
    }
    let name = tok.v;
    // Dotted names: typing.List, dspy.History, dspy.Image.
    while (this.peekPunct(".")) {
      this.next();
      const attr = this.next();
      if (attr.t !== "name") throw this.error(`Expected a name after ".", found ${describe(attr)}`, attr.pos);
      name = `${name}.${attr.v}`;
    }
    const base = resolveTypeName(name);
    if (base === undefined) {
      const plain = name.slice(name.lastIndexOf(".") + 1);
      const suggestion = closest(plain, KNOWN_TYPES);
      throw this.error(
        `Unknown type "${name}"`,
        tok.pos,
        suggestion
          ? `did you mean "${suggestion}"? Supported: ${KNOWN_TYPES.join(", ")}`
          : `supported types: ${KNOWN_TYPES.join(", ")}; use a zod schema or the map form for structured types`,
      );
    }
    if (!this.peekPunct("[")) return this.bare(base, tok.pos);
    const open = this.next();
    if (base === "Literal") return makeLiteral(this.parseLiteralArgs(open.pos));
    if (base === "Annotated") return this.parseAnnotated(open.pos);
    if (base === "Code") return this.parseCodeLanguage();
    const { args, variadic } = this.parseTypeArgs(open.pos);
    if (variadic && base !== "tuple" && base !== "Tuple") {
      throw this.error('"..." is only allowed as tuple[T, ...]', open.pos);
    }
    return this.generic(base, args, tok.pos, variadic);
  }

  /**
   * `dspy.Code["java"]`: the language is a string. (DSPy 3.4.1's string parser hands Code a tuple
   * here, naming the class `Code_('java',)` and failing when it formats; we read it as the
   * class-annotation form does, `Code_java`.)
   */
  private parseCodeLanguage(): TypeNode {
    const tok = this.next();
    if (tok.t !== "str") {
      throw this.error(
        `Code[...] takes the language as a string, found ${describe(tok)}`,
        tok.pos,
        'write Code["java"]',
      );
    }
    if (!this.peekPunct("]"))
      throw this.error('Expected "]" to close Code["..."]', this.peek().pos, 'write Code["java"]');
    this.next();
    return { kind: "code", language: tok.v };
  }

  /**
   * `Annotated[T, metadata...]` validates as T; DSPy prints the metadata (Python's `str()` of each
   * constant) when it sits inside another type. A field's own Annotated is unwrapped by `makeField`.
   */
  private parseAnnotated(openPos: number): TypeNode {
    const inner = this.parseType();
    const meta: string[] = [];
    while (this.peekPunct(",")) {
      this.next();
      const tok = this.next();
      if (tok.t === "str") meta.push(tok.v);
      else if (tok.t === "num") meta.push(String(tok.v));
      else if (tok.t === "name" && ["True", "False", "None"].includes(tok.v)) meta.push(tok.v);
      else throw this.error("Annotated metadata must be constants", tok.pos, "write e.g. Annotated[int, 'note']");
    }
    if (!this.peekPunct("]")) throw this.error('Expected "]" to close Annotated', this.peek().pos);
    this.next();
    if (meta.length === 0) throw this.error("Annotated needs metadata after the type", openPos);
    return { ...inner, annotated: [...(inner.annotated ?? []), ...meta] };
  }

  private bare(name: string, pos: number): TypeNode {
    switch (name) {
      case "str":
      case "Text":
        return { kind: "str" };
      case "int":
      case "float":
      case "bool":
      case "bytes":
        return { kind: name };
      case "Any":
        return { kind: "any" };
      case "History":
        return { kind: "history" };
      case "Image":
        return { kind: "image" };
      case "Audio":
        return { kind: "audio" };
      case "File":
        return { kind: "file" };
      case "Tool":
        return { kind: "tool" };
      case "ToolCalls":
        return { kind: "toolCalls" };
      case "Code":
        return { kind: "code" };
      case "Reasoning":
        return { kind: "reasoning" };
      case "list":
        return { kind: "list", alias: name };
      case "set":
      case "frozenset":
        return { kind: "set", alias: name, ...(name === "frozenset" ? { frozen: true } : {}) };
      case "tuple":
        return { kind: "tuple", alias: name };
      case "dict":
        return { kind: "dict", alias: name };
      default:
        // DSPy refuses bare typing generics ("Field types must be types"), e.g. `List` or `Sequence`.
        throw this.error(`"${name}" needs type arguments`, pos, `write e.g. ${name}[str]`);
    }
  }

  private generic(name: string, args: TypeNode[], pos: number, variadic: boolean): TypeNode {
    const arity = (n: number, example: string) => {
      if (args.length !== n) {
        throw this.error(`${name}[...] takes ${n} type argument${n > 1 ? "s" : ""}, got ${args.length}`, pos, example);
      }
    };
    switch (name) {
      case "list":
      case "List":
        arity(1, "write list[str]");
        return { kind: "list", item: args[0]! };
      case "Sequence":
      case "Iterable":
        arity(1, `write ${name}[str]`);
        return { kind: "list", item: args[0]!, origin: name };
      case "Deque":
      case "deque":
        arity(1, `write ${name}[str]`);
        return { kind: "list", item: args[0]!, origin: "deque" };
      case "set":
      case "Set":
        arity(1, "write set[str]");
        return { kind: "set", item: args[0]! };
      case "frozenset":
      case "FrozenSet":
        arity(1, "write frozenset[str]");
        return { kind: "set", item: args[0]!, frozen: true };
      case "dict":
      case "Dict":
        arity(2, "write dict[str, int]");
        return { kind: "dict", key: args[0]!, value: args[1]! };
      case "Mapping":
        arity(2, "write Mapping[str, int]");
        return { kind: "dict", key: args[0]!, value: args[1]!, origin: "Mapping" };
      case "DefaultDict":
      case "defaultdict":
        arity(2, `write ${name}[str, int]`);
        return { kind: "dict", key: args[0]!, value: args[1]!, origin: "defaultdict" };
      case "Type":
        arity(1, "write Type[int]");
        return { kind: "type", item: args[0]! };
      case "tuple":
      case "Tuple":
        return variadic ? { kind: "tuple", items: args, variadic } : { kind: "tuple", items: args };
      case "Optional":
        arity(1, "write Optional[int], or Union[int, str, None] for several types");
        return makeUnion([args[0]!, { kind: "none" }]);
      case "Union":
        return makeUnion(args);
      default:
        throw this.error(`"${name}" does not take type arguments`, pos, `write ${name} alone`);
    }
  }

  private parseTypeArgs(openPos: number): { args: TypeNode[]; variadic: boolean } {
    const args: TypeNode[] = [];
    let variadic = false;
    while (true) {
      if (this.peekPunct("]")) break;
      if (this.peekPunct("...")) {
        const dots = this.next();
        if (args.length !== 1 || variadic) throw this.error('"..." is only allowed as tuple[T, ...]', dots.pos);
        variadic = true;
      } else {
        args.push(this.parseType());
      }
      if (this.peekPunct(",")) {
        this.next();
        continue;
      }
      if (this.peekPunct("]")) break;
      const tok = this.peek();
      throw this.error(
        tok.t === "end" ? `Unclosed "["` : `Expected "," or "]", found ${describe(tok)}`,
        tok.t === "end" ? openPos : tok.pos,
        tok.t === "end" ? 'add the missing "]"' : undefined,
      );
    }
    this.next();
    if (args.length === 0) throw this.error("Empty type arguments", openPos, "write e.g. list[str]");
    return { args, variadic };
  }

  private parseLiteralArgs(openPos: number): LiteralValue[] {
    const values: LiteralValue[] = [];
    while (!this.peekPunct("]")) {
      const tok = this.next();
      if (tok.t === "str" || tok.t === "num") values.push(tok.v);
      else if (tok.t === "name" && (tok.v === "True" || tok.v === "False")) values.push(tok.v === "True");
      else if (tok.t === "name" && tok.v === "None") values.push(null);
      else if (tok.t === "end") throw this.error('Unclosed "[" in Literal', openPos, 'add the missing "]"');
      else {
        throw this.error(
          `Literal values must be constants, found ${describe(tok)}`,
          tok.pos,
          tok.t === "name" ? `quote it: Literal['${tok.v}']` : undefined,
        );
      }
      if (this.peekPunct(",")) this.next();
      else if (!this.peekPunct("]")) {
        const bad = this.peek();
        throw this.error(
          bad.t === "end" ? 'Unclosed "[" in Literal' : `Expected "," or "]", found ${describe(bad)}`,
          bad.t === "end" ? openPos : bad.pos,
        );
      }
    }
    this.next();
    if (values.length === 0) throw this.error("Literal[] needs at least one value", openPos);
    return values;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private peekPunct(v: string): boolean {
    const tok = this.tokens[this.i]!;
    return tok.t === "punct" && tok.v === v;
  }

  private next(): Token {
    const tok = this.tokens[this.i]!;
    if (tok.t !== "end") this.i++;
    return tok;
  }

  private error(message: string, position: number, fix?: string): SignatureError {
    return new SignatureError(message, { spec: this.spec, position, ...(fix ? { fix } : {}) });
  }
}

function tokenize(spec: string, start: number, end: number): Token[] {
  const tokens: Token[] = [];
  let i = start;
  while (i < end) {
    const c = spec[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (spec.startsWith("...", i)) {
      tokens.push({ t: "punct", v: "...", pos: i });
      i += 3;
      continue;
    }
    if ("[],:|.".includes(c)) {
      tokens.push({ t: "punct", v: c as "[" | "]" | "," | ":" | "|" | ".", pos: i });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const [value, next] = readString(spec, i, end);
      tokens.push({ t: "str", v: value, pos: i });
      i = next;
      continue;
    }
    if (c === "-" && /\d/.test(spec[i + 1] ?? "")) {
      // Python's ast reads -1 as an operation, which DSPy's string signatures refuse.
      throw new SignatureError("Negative numbers cannot appear in a string signature", {
        spec,
        position: i,
        fix: 'use the map form with a type node, e.g. { type: { kind: "literal", values: [-1, 1] } }',
      });
    }
    const num = /^\d+(\.\d+)?/.exec(spec.slice(i, end));
    if (num) {
      tokens.push({ t: "num", v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    const ident = IDENT.exec(spec.slice(i, end));
    if (ident) {
      tokens.push({ t: "name", v: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    if (c === "(" || c === ")" || c === "{" || c === "}") {
      throw new SignatureError(`Unexpected "${c}"`, {
        spec,
        position: i,
        fix: 'type arguments use square brackets, e.g. "list[str]"',
      });
    }
    throw new SignatureError(`Unexpected character "${c}"`, { spec, position: i });
  }
  tokens.push({ t: "end", pos: end });
  checkBrackets(spec, tokens);
  return tokens;
}

/** Python's tokenizer refuses more than 200 open brackets, so DSPy cannot parse deeper types either. */
const MAX_TYPE_NESTING = 200;

function checkBrackets(spec: string, tokens: Token[]): void {
  const open: number[] = [];
  for (const tok of tokens) {
    if (tok.t !== "punct") continue;
    if (tok.v === "[") {
      open.push(tok.pos);
      if (open.length > MAX_TYPE_NESTING) {
        throw new SignatureError(`Types nested deeper than ${MAX_TYPE_NESTING} levels`, {
          spec,
          position: tok.pos,
          fix: "flatten the type, or describe deep structures with a zod schema",
        });
      }
    } else if (tok.v === "]" && open.pop() === undefined) {
      throw new SignatureError('Unbalanced "]" with no matching "["', {
        spec,
        position: tok.pos,
        fix: 'remove it or add the missing "["',
      });
    }
  }
  if (open.length > 0) {
    throw new SignatureError('Unclosed "["', { spec, position: open.at(-1)!, fix: 'add the missing "]"' });
  }
}

function readString(spec: string, start: number, end: number): [string, number] {
  const quote = spec[start]!;
  let out = "";
  let i = start + 1;
  while (i < end) {
    const c = spec[i]!;
    if (c === "\\" && i + 1 < end) {
      const n = spec[i + 1]!;
      out += n === "n" ? "\n" : n === "t" ? "\t" : n;
      i += 2;
      continue;
    }
    if (c === quote) return [out, i + 1];
    out += c;
    i++;
  }
  throw new SignatureError("Unterminated string literal", { spec, position: start, fix: `close it with ${quote}` });
}

function describe(tok: Token): string {
  if (tok.t === "end") return "the end of the field list";
  if (tok.t === "str") return `string '${tok.v}'`;
  return `"${tok.v}"`;
}

/** Python identifiers (PEP 3131): XID_Start then XID_Continue, so combining marks may follow a letter. */
const IDENT = /^[\p{ID_Start}_][\p{ID_Continue}]*/u;

function isIdentifier(s: string): boolean {
  const m = IDENT.exec(s);
  return m !== null && m[0].length === s.length;
}
