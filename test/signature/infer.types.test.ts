/**
 * Compile-time tests of the signature types, checked by `npm run typecheck` (this file is part of
 * the tsconfig's `test`). `Expect<Equal<A, B>>` fails to compile unless A and B are the same type;
 * each `@ts-expect-error` fails to compile if the line under it stops being an error. The `it`
 * blocks also run the programs against a ScriptedLM, so the runtime values are checked against
 * what the types promise.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { evaluate } from "../../src/evaluate/evaluate.js";
import { chainOfThought, predict, signature } from "../../src/facade.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { BestOfN } from "../../src/modules/best-of-n.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import { Example } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Parallel } from "../../src/modules/parallel.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { Refine } from "../../src/modules/refine.js";
import { context } from "../../src/runtime/settings.js";
import type { HistoryValue, InferSignature, InputsOf, OutputsOf, UntypedFields } from "../../src/signature/infer.js";
import { Signature } from "../../src/signature/signature.js";
import { signatureFromZod } from "../../src/signature/zod.js";
import { streamify } from "../../src/stream/streamify.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type In<S extends string> = InferSignature<S>["inputs"];
type Out<S extends string> = InferSignature<S>["outputs"];

// ---- The type grammar, one spec per line (outputs, then inputs where they differ) ----------

export type Grammar = [
  // 1 bare names are str
  Expect<Equal<Out<"question -> answer">, { answer: string }>>,
  Expect<Equal<In<"question -> answer">, { question: string }>>,
  // 2-4 scalars
  Expect<Equal<Out<"q -> a: str">, { a: string }>>,
  Expect<Equal<Out<"q -> a: int, b: float">, { a: number; b: number }>>,
  Expect<Equal<Out<"q -> ok: bool">, { ok: boolean }>>,
  // 5 bytes is a str on the wire
  Expect<Equal<Out<"q -> b: bytes">, { b: string }>>,
  // 6-8 lists, sets and the typing aliases
  Expect<Equal<Out<"q -> xs: list[str]">, { xs: string[] }>>,
  Expect<Equal<Out<"q -> xs: set[int]">, { xs: number[] }>>,
  Expect<Equal<Out<"q -> xs: typing.List[int]">, { xs: number[] }>>,
  // 9-10 dicts
  Expect<Equal<Out<"q -> m: dict[str, float]">, { m: Record<string, number> }>>,
  Expect<Equal<Out<"q -> m: Dict[str, list[int]]">, { m: Record<string, number[]> }>>,
  // 11-13 Literal with both quote styles, numbers, booleans and None
  Expect<Equal<Out<"q -> v: Literal['yes', 'no']">, { v: "yes" | "no" }>>,
  Expect<Equal<Out<`q -> v: Literal["a", 'b', 1, True, None]`>, { v: "a" | "b" | 1 | true | null }>>,
  Expect<Equal<Out<"q -> v: Literal[-1, 2.5, False]">, { v: -1 | 2.5 | false }>>,
  // 14 a comma inside a quoted literal does not split the field list
  Expect<Equal<Out<"q -> v: Literal['a, b', 'c'], w">, { v: "a, b" | "c"; w: string }>>,
  // 15 an escaped quote is read as some string (wider, never wrong)
  Expect<Equal<Out<"q -> v: Literal['it\\'s', 'x']">, { v: string }>>,
  // 16-19 optional forms
  Expect<Equal<Out<"q -> n: Optional[str]">, { n: string | null }>>,
  Expect<Equal<Out<"q -> n: int | None">, { n: number | null }>>,
  Expect<Equal<Out<"q -> n: None | int">, { n: number | null }>>,
  Expect<Equal<Out<"q -> n: typing.Optional[typing.Literal['x']]">, { n: "x" | null }>>,
  // 20-21 unions
  Expect<Equal<Out<"q -> u: Union[int, str]">, { u: number | string }>>,
  Expect<Equal<Out<"q -> u: Union[int, str, None]">, { u: number | string | null }>>,
  // 22-24 tuples: fixed, variadic, bare
  Expect<Equal<Out<"q -> t: tuple[int, str]">, { t: [number, string] }>>,
  Expect<Equal<Out<"q -> t: Tuple[int, ...]">, { t: number[] }>>,
  Expect<Equal<Out<"q -> t: tuple, l: list, d: dict">, { t: unknown[]; l: unknown[]; d: Record<string, unknown> }>>,
  // 25 Any
  Expect<Equal<Out<"q -> a: Any">, { a: unknown }>>,
  // 26 nested generics
  Expect<Equal<Out<"q -> n: list[dict[str, list[Optional[int]]]]">, { n: Record<string, (number | null)[]>[] }>>,
  // 27 a trailing comma in type arguments (Python allows it)
  Expect<Equal<Out<"q -> xs: list[int,]">, { xs: number[] }>>,
  // 28 History (dspy. prefix) and Image inputs
  Expect<Equal<In<"history: dspy.History, question -> answer">, { history: HistoryValue; question: string }>>,
  Expect<Equal<In<"img: Image -> caption">, { img?: unknown }>>,
  // 29 whitespace and newlines anywhere
  Expect<Equal<In<"  a :  str ,\n  b:int\n ->  out : float ">, { a: string; b: number }>>,
  Expect<Equal<Out<"  a :  str ,\n  b:int\n ->  out : float ">, { out: number }>>,
  // 30 a trailing comma in the field list, and no inputs at all
  Expect<Equal<In<"a, b, -> c">, { a: string; b: string }>>,
  // biome-ignore lint/complexity/noBannedTypes: the empty object type is exactly what is meant
  Expect<Equal<In<"-> answer">, {}>>,
  // 31 unicode names
  Expect<Equal<In<"données, 質問 -> réponse">, { données: string; 質問: string }>>,
  // 32 inputs are readonly where they are collections, and optional where the type allows None
  Expect<
    Equal<
      In<"ctx: list[str], m: dict[str, int], t: tuple[int, str], note: Optional[str] -> a">,
      {
        ctx: readonly string[];
        m: Readonly<Record<string, number>>;
        t: readonly [number, string];
        note?: string | null;
      }
    >
  >,
  // 33 the example
  Expect<
    Equal<
      Out<"question: str, context: list[str] -> answer: int, tags: list[str], verdict: Literal['yes', 'no'], meta: dict[str, float], note: Optional[str]">,
      {
        answer: number;
        tags: string[];
        verdict: "yes" | "no";
        meta: Record<string, number>;
        note: string | null;
      }
    >
  >,
];

// ---- What falls back to untyped: never an error, always the wide type ----------------------

declare const runtimeSpec: string;
export type Fallbacks = [
  // a spec only known at run time
  Expect<Equal<InferSignature<typeof runtimeSpec>["outputs"], UntypedFields>>,
  // two arrows (the runtime rejects it; the type level does not try)
  Expect<Equal<Out<"a -> b -> c">, UntypedFields>>,
  // an arrow inside a quoted literal: the runtime counts it as a second "->"
  Expect<Equal<Out<"a -> b: Literal['->']">, UntypedFields>>,
  // an unbalanced bracket
  Expect<Equal<Out<"a -> b: list[int">, UntypedFields>>,
  // a type name the type level does not know is unknown, the rest of the spec stays typed
  Expect<Equal<Out<"a -> b: Foo, c: int">, { b: unknown; c: number }>>,
];

// ---- Modules: inputs required and checked, outputs typed --------------------------------

const qa = new Predict("question: str, context: list[str] -> answer: int, verdict: Literal['yes', 'no']");

async function modules(): Promise<void> {
  const pred = await qa.call({ question: "q", context: ["a", "b"] });
  const n: number = pred.answer;
  const v: "yes" | "no" = pred.verdict;
  // @ts-expect-error: a misspelled output field
  pred.anwser;
  // @ts-expect-error: an output is not a string
  const s: string = pred.answer;
  // @ts-expect-error: a misspelled input key
  await qa.call({ questoin: "q", context: [] });
  // @ts-expect-error: an unknown extra input key
  await qa.call({ question: "q", context: [], extra: 1 });
  // @ts-expect-error: a missing input
  await qa.call({ question: "q" });
  // @ts-expect-error: a wrong value type
  await qa.call({ question: 42, context: [] });
  // @ts-expect-error: list[str] takes strings
  await qa.call({ question: "q", context: [1] });
  // An Example stands for the inputs (its fields are only known at run time).
  await qa.call(new Example({ question: "q", context: [] }).withInputs("question", "context").inputs());
  // Completions are typed like the prediction.
  const all: readonly { answer: number; verdict: "yes" | "no" }[] = pred.completions;
  // A typed prediction is still an untyped one and an Example.
  const untyped: Prediction = pred;
  const asExample: Example = pred;

  // ChainOfThought adds `reasoning: string` in front.
  const cot = new ChainOfThought("question -> answer: float");
  const c = await cot.call({ question: "?" });
  const r: string = c.reasoning;
  const f: number = c.answer;
  // @ts-expect-error: ChainOfThought keeps the signature's inputs
  await cot.call({ query: "?" });

  // The facade infers the same.
  const p2 = await predict("a: int -> b: bool").call({ a: 1 });
  const b: boolean = p2.b;
  const c2 = await chainOfThought("a -> b").call({ a: "x" });
  const r2: string = c2.reasoning;

  // The map form: type strings, FieldSpecs with types, and FieldSpecs with only a description.
  const mapped = new Predict({
    inputs: { question: "str", ctx: { type: "list[str]", desc: "passages" } },
    outputs: { answer: { type: "int" }, note: { desc: "free text" } },
  });
  const m = await mapped.call({ question: "q", ctx: ["p"] });
  const mn: number = m.answer;
  const ms: string = m.note;
  // @ts-expect-error: map-form inputs are checked too
  await mapped.call({ question: "q" });

  // zod: inputs as z.input, outputs as z.output (an optional field may come back null).
  const zsig = signatureFromZod({
    inputs: z.object({ question: z.string(), k: z.number().optional() }),
    outputs: z.object({ answer: z.string(), score: z.number(), extra: z.string().optional() }),
  });
  const zp = await new Predict(zsig).call({ question: "q" });
  const za: string = zp.answer;
  const zs: number = zp.score;
  const ze: string | null | undefined = zp.extra;
  // @ts-expect-error: zod inputs are checked
  await new Predict(zsig).call({ question: 1 });

  // Signature.parse / signature() keep the types through withInstructions.
  const sig = Signature.parse("q -> a: int").withInstructions("Answer.");
  const sp = await new Predict(sig).call({ q: "x" });
  const sa: number = sp.a;
  const s2 = signature("x: float -> y: list[int]");
  const y: number[] = (await predict(s2).call({ x: 1.5 })).y;

  // An untyped Predict (signature known only at run time) takes and returns anything.
  const dynamic = new Predict(runtimeSpec);
  const d = await dynamic.call({ anything: 1 });
  const du: unknown = d.whatever;

  void [n, v, s, all, untyped, asExample, r, f, b, r2, mn, ms, za, zs, ze, sa, y, du];
}

// ---- Programs and the modules that wrap them -----------------------------------------

class RAG extends Module<{ question: string }, { answer: number }> {
  readonly step = new Predict("question -> answer: int");
  forward(inputs: { question: string }): Promise<Prediction<{ answer: number }>> {
    return this.step.call(inputs);
  }
}

class Misspelled extends Module<{ question: string }, { answer: number }> {
  readonly step = new Predict("question -> answr: int");
  forward(inputs: { question: string }): Promise<Prediction<{ answer: number }>> {
    // @ts-expect-error: forward must return the declared fields
    return this.step.call(inputs);
  }
}

async function wrappers(): Promise<void> {
  const rag = new RAG();
  const a: number = (await rag.call({ question: "q" })).answer;

  const best = new BestOfN(qa, {
    N: 2,
    threshold: 1,
    rewardFn: (inputs, p) => (inputs.question.length > 0 && p.verdict === "yes" ? 1 : 0),
  });
  const bn: number = (await best.call({ question: "q", context: [] })).answer;
  // @ts-expect-error: BestOfN keeps the wrapped module's inputs
  await best.call({ question: "q" });

  const refine = new Refine(rag, { N: 2, threshold: 1, rewardFn: (_i, p) => p.answer });
  const rn: number = (await refine.call({ question: "q" })).answer;

  const [p1, p2] = await new Parallel().call([
    [rag, { question: "a" }],
    [qa, { question: "b", context: [] }],
  ]);
  const pn: number | undefined = p1?.answer;
  const pv: "yes" | "no" | undefined = p2?.verdict;

  const result = await evaluate(rag, [], (_ex, p) => p.answer > 0);
  const row = result.results[0];
  if (row && row.error === undefined) {
    const en: number = row.prediction.answer;
    void en;
  } else if (row) {
    // A failed row's prediction is DSPy's empty one.
    const missing: number | undefined = row.prediction.answer;
    void missing;
  }

  for await (const event of streamify(rag)({ question: "q" })) {
    if (event.type === "prediction") {
      const sn: number = event.prediction.answer;
      void sn;
    }
  }
  // @ts-expect-error: the streaming program takes the program's inputs
  streamify(rag)({ query: "q" });

  void [a, bn, rn, pn, pv, Misspelled];
}

type ForModule = [
  Expect<Equal<InputsOf<"question -> answer">, { question: string }>>,
  Expect<Equal<OutputsOf<typeof qa.signature>, UntypedFields>>,
];

// ---- And at run time, the values are what the types say ------------------------------

describe("typed predictions at run time", () => {
  it("an int, a list, a Literal and an Optional[int] come back as number, array, member and null", async () => {
    const program = new Predict("q -> n: int, xs: list[str], v: Literal['yes', 'no'], note: Optional[int]");
    const lm = new ScriptedLM([{ n: "42", xs: '["a", "b"]', v: "yes", note: "None" }]);
    const pred = await context({ lm }, () => program.call({ q: "?" }));
    const n: number = pred.n;
    const xs: string[] = pred.xs;
    const v: "yes" | "no" = pred.v;
    const note: number | null = pred.note;
    assert.equal(n, 42);
    assert.deepEqual(xs, ["a", "b"]);
    assert.equal(v, "yes");
    assert.equal(note, null);
  });

  it("ChainOfThought's reasoning is a string next to the typed output", async () => {
    const cot = new ChainOfThought("q -> score: float");
    const lm = new ScriptedLM([{ reasoning: "because", score: "0.5" }]);
    const pred = await context({ lm }, () => cot.call({ q: "?" }));
    const r: string = pred.reasoning;
    const s: number = pred.score;
    assert.equal(r, "because");
    assert.equal(s, 0.5);
  });

  it("the compile-time checks above are in this file (guards against an empty type test)", () => {
    const checks: [Grammar, Fallbacks, ForModule] | undefined = undefined;
    assert.equal(checks, undefined);
    assert.equal(typeof modules, "function");
    assert.equal(typeof wrappers, "function");
  });
});
