/**
 * The local provider's reading of ChatAdapter requests (no model needed): which output fields a
 * request declares, and the grammar and token budget built from them. The messages come from our
 * ChatAdapter, whose text is byte-identical to DSPy's (fixture-tested in test/adapters).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { JSONAdapter } from "../../src/adapters/json.js";
import {
  chatGrammar,
  chatOutputFields,
  pythonLiterals,
  REASONING_CHARS,
  TEXT_CHARS,
} from "../../src/lm/providers/local-chat-grammar.js";
import { Signature } from "../../src/signature/signature.js";

const chat = new ChatAdapter();
const spec =
  "context, question -> reasoning, n: int, ok: bool, label: Literal['pos', \"it's\"], names: list[str], x: float, maybe: Optional[int], d: dict[str, int], answer";
const sig = Signature.parse(spec);
const demo = {
  context: "c",
  question: "q",
  reasoning: "r",
  n: 1,
  ok: true,
  label: "pos",
  names: ["a"],
  x: 1.5,
  maybe: null,
  d: { a: 1 },
  answer: "a",
};

describe("ChatAdapter requests as the local provider reads them", () => {
  test("output fields, their DSPy type names and JSON schemas come from the system message", () => {
    const fields = chatOutputFields(chat.format(sig, [demo], { context: "ctx", question: "Q?" }));
    assert.deepEqual(
      fields?.map((f) => [f.name, f.typeName]),
      [
        ["reasoning", "str"],
        ["n", "int"],
        ["ok", "bool"],
        ["label", `Literal['pos', "it's"]`],
        ["names", "list[str]"],
        ["x", "float"],
        ["maybe", "Union[int, NoneType]"],
        ["d", "dict[str, int]"],
        ["answer", "str"],
      ],
    );
    assert.deepEqual(fields?.find((f) => f.name === "names")?.schema, { type: "array", items: { type: "string" } });
    assert.deepEqual(fields?.find((f) => f.name === "maybe")?.schema, {
      anyOf: [{ type: "integer" }, { type: "null" }],
    });
  });

  test("anything else is not read as a ChatAdapter request", () => {
    const json = new JSONAdapter().format(sig, [], { context: "c", question: "q" });
    assert.equal(chatOutputFields(json), undefined);
    assert.equal(
      chatOutputFields([{ role: "user", content: "Respond with the corresponding output fields" }]),
      undefined,
    );
    const messages = chat.format(sig, [], { context: "c", question: "q" });
    // A trailing assistant message is a prefix the caller wants continued: leave it alone.
    assert.equal(chatOutputFields([...messages, { role: "assistant", content: "[[ ## reasoning ## ]]" }]), undefined);
    // The closing reminder must ask for every declared field.
    const last = messages.at(-1)!;
    const edited = [
      ...messages.slice(0, -1),
      { ...last, content: String(last.content).replace("`[[ ## answer ## ]]`", "") },
    ];
    assert.equal(chatOutputFields(edited), undefined);
  });

  test("the grammar fixes headers and value shapes; the first header is the pre-filled prefix", () => {
    const g = chatGrammar(chat.format(sig, [], { context: "c", question: "q" }));
    assert.ok(g);
    assert.equal(g.prefix, "[[ ## reasoning ## ]]\n");
    const root = g.gbnf.split("\n").find((l) => l.startsWith("root ::= "))!;
    // Headers after the first, in order, then the completed marker.
    const headers = [...root.matchAll(/\[\[ ## (\w+) ## \]\]/g)].map((m) => m[1]);
    assert.deepEqual(headers, ["n", "ok", "label", "names", "x", "maybe", "d", "answer", "completed"]);
    assert.match(g.gbnf, /^int ::= "-"\? \[0-9\] \[0-9\]\{0,11\}$/m);
    assert.match(g.gbnf, /^bool ::= "True" \| "False" \| "Yes" \| "No"$/m);
    assert.ok(root.includes(`("pos" | "it's")`));
    assert.ok(root.includes(`(jint | "None")`), "Optional[int] takes an int or None");
    assert.ok(root.includes(`("[]" | "[" jstring ("," " "? jstring){0,15} "]")`));
    // Text cannot open with "{" (a placeholder) and is bounded; reasoning gets the larger bound.
    assert.match(g.gbnf, new RegExp(`^text${TEXT_CHARS} ::= tline tchar\\{0,${TEXT_CHARS - 1}\\}$`, "m"));
    assert.match(g.gbnf, /^tline ::= \[\^\\\[\{/m);
    // Whitespace only before more text on its line: no trailing blanks, no blank lines.
    assert.match(g.gbnf, /^tchar ::= tword \| \[ \\t\]\{1,8\} tword \| "\\n" \[ \\t\]\{0,8\} tline$/m);
    // One or two newlines before each header.
    assert.ok(root.includes(`"\\n" "\\n"? "[[ ## completed ## ]]"`));
    assert.ok(g.gbnf.includes(`text${REASONING_CHARS} ::=`));
    assert.ok(root.startsWith(`root ::= text${REASONING_CHARS} `));
    // A dict is not modelled: free, bounded text that may start with "{".
    assert.ok(root.includes("anytext"));
  });

  test("segments cut the reply at each value's end; their fixed parts rebuild the whole layout", () => {
    const g = chatGrammar(chat.format(Signature.parse("q -> reasoning, n: int, answer"), [], { q: "x" }))!;
    assert.deepEqual(
      g.segments.map((s) => s.after),
      [" ## n ## ]]\n", " ## answer ## ]]\n", " ## completed ## ]]"],
    );
    const roots = g.segments.map((s) => s.gbnf.split("\n").find((l) => l.startsWith("root ::= "))!);
    // Each segment: one field's value, the break, and the "[[" that opens the next header.
    assert.equal(roots[0], `root ::= text${REASONING_CHARS} "\\n" "\\n"? "[["`);
    assert.equal(roots[1], `root ::= int "\\n" "\\n"? "[["`);
    assert.equal(roots[2], `root ::= text${TEXT_CHARS} "\\n" "\\n"? "[["`);
    // Every rule a segment names is defined in it (llama.cpp refuses an undefined rule).
    for (const s of g.segments) {
      const defined = new Set(s.gbnf.split("\n").map((l) => l.split(" ::= ")[0]));
      const used = [...s.gbnf.replace(/"(?:[^"\\]|\\.)*"|\[(?:[^\]\\]|\\.)*\]/g, "").matchAll(/\b[a-z]\w*\b/g)];
      for (const [name] of used) assert.ok(defined.has(name), `${name} in ${s.gbnf}`);
    }
  });

  test("the token budget is small for typed fields and bounded for text", () => {
    const small = chatGrammar(chat.format(Signature.parse("q -> a: int, b: bool"), [], { q: "x" }));
    assert.ok(small && small.maxTokens <= 64, `int + bool: ${small?.maxTokens}`);
    const cot = chatGrammar(chat.format(Signature.parse("q -> reasoning, answer"), [], { q: "x" }));
    assert.ok(cot && cot.maxTokens > 300 && cot.maxTokens < 1024, `reasoning + answer: ${cot?.maxTokens}`);
  });

  test("a request's token cap shrinks the text bounds so the reply still reaches its last field", () => {
    const messages = chat.format(Signature.parse("q -> reasoning, answer"), [], { q: "x" });
    const free = chatGrammar(messages)!;
    const capped = chatGrammar(messages, { maxTokens: 96 })!;
    assert.ok(capped.maxTokens <= 96, `budget ${capped.maxTokens}`);
    const bounds = (g: string) => [...g.matchAll(/^text(\d+) ::=/gm)].map((m) => Number(m[1]));
    assert.deepEqual(bounds(free.gbnf), [REASONING_CHARS, TEXT_CHARS]);
    const small = bounds(capped.gbnf);
    assert.ok(
      small.every((b, i) => b < bounds(free.gbnf)[i]! && b >= 16),
      String(small),
    );
    // A cap above the grammar's own budget changes nothing.
    assert.equal(chatGrammar(messages, { maxTokens: 4096 })!.gbnf, free.gbnf);
  });

  test("Literal annotations read as the values a reply writes", () => {
    assert.deepEqual(pythonLiterals(`'a', "b's", 3, -1.5, True, None`), ["a", "b's", "3", "-1.5", "True", "None"]);
    assert.deepEqual(pythonLiterals(`'x\\'y'`), ["x'y"]);
    assert.equal(pythonLiterals("'open"), undefined);
    assert.equal(pythonLiterals("Foo.BAR"), undefined);
  });
});
