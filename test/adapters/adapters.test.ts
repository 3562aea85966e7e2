import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError, DSPexError } from "../../src/errors.js";
import {
  AdapterParseError,
  ChatAdapter,
  formatFieldValue,
  History,
  JSONAdapter,
  literalEval,
  pyRepr,
  repairJsonLoads,
} from "../../src/adapters/index.js";
import { Signature } from "../../src/signature/index.js";
import { contentText } from "../../src/lm/compat.js";

const chat = new ChatAdapter();
const json = new JSONAdapter();

function parseError(run: () => unknown): AdapterParseError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof AdapterParseError, String(e));
    return e;
  }
  assert.fail("expected an AdapterParseError");
}

describe("AdapterParseError", () => {
  const sig = Signature.parse("question -> answer, score: int");

  it("names the missing field, the adapter and keeps the raw completion", () => {
    const completion = "[[ ## answer ## ]]\nParis";
    const e = parseError(() => chat.parse(sig, completion));
    assert.ok(e instanceof DSPexError);
    assert.equal(e.adapter, "ChatAdapter");
    assert.equal(e.completion, completion);
    assert.deepEqual(e.missingFields, ["score"]);
    assert.deepEqual(e.parsed, { answer: "Paris" });
    assert.match(e.message, /Missing output field\(s\): score/);
    assert.match(e.message, /LM Response: \[\[ ## answer ## \]\]\nParis/);
    assert.match(e.fix ?? "", /score/);
  });

  it("says which field failed its type and why", () => {
    const e = parseError(() => chat.parse(sig, "[[ ## answer ## ]]\nParis\n[[ ## score ## ]]\nhigh"));
    assert.equal(e.field, "score");
    assert.match(e.message, /Failed to parse field score with value high/);
    assert.match(e.message, /valid integer/);
    assert.match(e.fix ?? "", /valid int/);
  });

  it("is thrown by the JSONAdapter for a completion without an object", () => {
    const e = parseError(() => json.parse(sig, "I don't know"));
    assert.equal(e.adapter, "JSONAdapter");
    assert.match(e.message, /cannot be serialized to a JSON object/);
  });
});

describe("ChatAdapter.parse", () => {
  it("fills missing Optional outputs with null", () => {
    const sig = Signature.parse("q -> a, note: Optional[str], n: int | None");
    assert.deepEqual(chat.parse(sig, "[[ ## a ## ]]\nx"), { a: "x", note: null, n: null });
  });

  it("returns the outputs in signature order whatever the completion's order", () => {
    const sig = Signature.parse("q -> a, b: int");
    const out = chat.parse(sig, "[[ ## b ## ]]\n2\n[[ ## a ## ]]\none");
    assert.deepEqual(Object.keys(out), ["a", "b"]);
  });

  it("keeps str values raw, including JSON-looking text", () => {
    const sig = Signature.parse("q -> a");
    assert.deepEqual(chat.parse(sig, '[[ ## a ## ]]\n{"x": 1}\n'), { a: '{"x": 1}' });
  });

  it("ignores the completed marker and input markers", () => {
    const sig = Signature.parse("q -> a");
    const out = chat.parse(sig, "[[ ## q ## ]]\nechoed\n[[ ## a ## ]]\nyes\n[[ ## completed ## ]]\ntrailing");
    assert.deepEqual(out, { a: "yes" });
  });
});

describe("formatting values", () => {
  it("prints integral numbers as floats where the type says float", () => {
    const sig = Signature.parse("x: float, y: int, z: list[float] -> out");
    const user = contentText(chat.format(sig, [], { x: 3, y: 3, z: [1, 2.5] }).at(-1)!.content);
    assert.match(user, /\[\[ ## x ## \]\]\n3\.0\n/);
    assert.match(user, /\[\[ ## y ## \]\]\n3\n/);
    assert.match(user, /\[\[ ## z ## \]\]\n\[1\.0, 2\.5\]/);
  });

  it("numbers non-str items given to a str field instead of failing like Python", () => {
    assert.equal(formatFieldValue({ type: { kind: "str" } }, [1, true, null]), "[1] «1»\n[2] «True»\n[3] «None»");
  });

  it("unwraps toDict()/toJSON() values and Maps", () => {
    const example = { toDict: () => ({ question: "from toDict" }) };
    const sig = Signature.parse("question, meta: dict[str, int] -> answer");
    const msgs = chat.format(sig, [], example);
    assert.match(contentText(msgs.at(-1)!.content), /from toDict/);
    const withMap = chat.format(sig, [], { question: "q", meta: new Map([["k", 1]]) });
    assert.match(contentText(withMap.at(-1)!.content), /\{"k": 1\}/);
  });

  it("treats undefined inputs as absent and null as None", () => {
    const sig = Signature.parse("a, b, c -> d");
    const user = contentText(chat.format(sig, [], { a: undefined, b: null, c: "x" }).at(-1)!.content);
    assert.ok(!user.includes("[[ ## a ## ]]"));
    assert.match(user, /\[\[ ## b ## \]\]\nNone/);
  });

  it("reuses the per-signature plan: identical messages on every call", () => {
    const sig = Signature.parse("q -> a: list[int]");
    const first = json.format(sig, [], { q: "1" });
    const second = json.format(sig, [], { q: "1" });
    assert.deepEqual(first, second);
    assert.equal(contentText(first[0]!.content), contentText(second[0]!.content));
    assert.equal(json.responseFormat(sig), json.responseFormat(sig));
  });
});

describe("History", () => {
  const sig = Signature.parse("history: History, question -> answer");

  it("accepts a plain { messages } object", () => {
    const msgs = chat.format(sig, [], { history: { messages: [{ question: "hi", answer: "hello" }] }, question: "q" });
    assert.deepEqual(
      msgs.map((m) => m.role),
      ["system", "user", "assistant", "user"],
    );
  });

  it("strips whitespace around message keys, as pydantic does", () => {
    assert.deepEqual(new History([{ " question ": " kept " }]).messages, [{ question: " kept " }]);
  });

  it("rejects a value that is not a History", () => {
    assert.throws(() => chat.format(sig, [], { history: "nope", question: "q" }), ConfigurationError);
  });
});

describe("Python value helpers", () => {
  it("prints floats as Python's repr", () => {
    const cases: [number, string][] = [
      [0.1, "0.1"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [1e16, "1e+16"],
      [123456789012345.6, "123456789012345.6"],
      [1.5e300, "1.5e+300"],
      [-2.5e-7, "-2.5e-07"],
    ];
    for (const [x, repr] of cases) assert.equal(pyRepr(x, { kind: "float" }), repr);
    assert.equal(pyRepr(100, { kind: "float" }), "100.0");
  });

  it("quotes strings as Python's repr", () => {
    assert.equal(pyRepr("it's"), `"it's"`);
    assert.equal(pyRepr(`both ' and "`), `'both \\' and "'`);
    assert.equal(pyRepr("tab\tnul\0"), "'tab\\tnul\\x00'");
  });

  it("literal_eval never evaluates code", () => {
    assert.throws(() => literalEval("__import__('os').system('true')"));
    assert.throws(() => literalEval("[x for x in range(3)]"));
    assert.equal(pyRepr(literalEval("{'a': (1,), 'b': '''t\\n'''}")), "{'a': (1,), 'b': 't\\n'}");
  });

  it("json_repair returns '' for prose and a list for several values", () => {
    assert.equal(repairJsonLoads("just words"), "");
    assert.deepEqual(repairJsonLoads("[1] [2, 3]"), [[1], [2, 3]]);
  });
});
