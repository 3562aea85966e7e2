/**
 * A million fuzz inputs through the parsers (the same generators as test/fuzz), counting untyped
 * errors (anything but the parser's own typed error) and timing every input to find the slowest.
 * Goals: 0 untyped errors, slowest input under 50 ms.
 *
 *   npx tsx bench/fuzz.ts [--inputs 1000000] [--seed 12]
 *
 * Prints a JSON line per target and one summary line. A single timing includes whatever the
 * machine was doing then (JIT warm-up, GC, other processes), so the 20 slowest inputs of each
 * target are timed again, 5 times each, once the target is done: `slowestMs` is the largest of
 * their best times (what the input costs), `rawSlowestMs` the largest single timing seen.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { AdapterParseError, ChatAdapter, JSONAdapter } from "../src/adapters/index.js";
import { FrameDecoder } from "../src/bridge/codec.js";
import { ProtocolError } from "../src/bridge/errors.js";
import { NestingTooDeepError } from "../src/py/errors.js";
import { repairJsonLoads } from "../src/py/json-repair.js";
import { LiteralEvalError, literalEval } from "../src/py/literal-eval.js";
import { Signature, SignatureError } from "../src/signature/index.js";
import { CHAT_PIECES, JSON_PIECES, SIGNATURE_PIECES, syntaxy, utf16 } from "../test/fuzz/arbitraries.js";

const { values } = parseArgs({
  options: { inputs: { type: "string", default: "1000000" }, seed: { type: "string", default: "12" } },
});
const total = Number(values.inputs);
const seed = Number(values.seed);

type ErrorClass = abstract new (...args: never[]) => Error;
interface Target {
  name: string;
  inputs: fc.Arbitrary<string | Uint8Array[]>;
  run: (input: never) => unknown;
  typed: ErrorClass[];
}

const sig = Signature.parse("q -> answer, n: int, xs: list[float], ok: bool");
const chat = new ChatAdapter();
const json = new JSONAdapter();
/** Long inputs too: the quadratic cases were long runs of one character. */
const long = (pieces: readonly string[]) =>
  fc.oneof(
    { arbitrary: syntaxy(pieces, 40), weight: 8 },
    { arbitrary: utf16(60), weight: 1 },
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom(...pieces),
          fc.constantFrom(" ", "{", "[", "(", '"', "-", "a"),
          fc.integer({ min: 1000, max: 20_000 }),
          fc.constantFrom(...pieces),
        )
        .map(([a, run, n, b]) => a + run.repeat(n) + b),
      weight: 1,
    },
  );

const targets: Target[] = [
  {
    name: "signature",
    inputs: long(SIGNATURE_PIECES),
    run: (s: string) => Signature.parse(s),
    typed: [SignatureError],
  },
  {
    name: "json_repair",
    inputs: long(JSON_PIECES),
    run: (s: string) => repairJsonLoads(s),
    typed: [NestingTooDeepError],
  },
  {
    name: "literal_eval",
    inputs: long([...JSON_PIECES, "b'", "r'", "'''", "0x1F", "{1, 2}", "(1,)"]),
    run: (s: string) => literalEval(s),
    typed: [LiteralEvalError, NestingTooDeepError],
  },
  {
    name: "ChatAdapter.parse",
    inputs: long([...CHAT_PIECES, ...JSON_PIECES]),
    run: (s: string) => chat.parse(sig, s),
    typed: [AdapterParseError],
  },
  {
    name: "JSONAdapter.parse",
    inputs: long([...JSON_PIECES, '{"answer": ', '"n": ']),
    run: (s: string) => json.parse(sig, s),
    typed: [AdapterParseError],
  },
  {
    name: "frame decoder",
    inputs: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }),
    run: (chunks: Uint8Array[]) => {
      const d = new FrameDecoder(1 << 20);
      for (const c of chunks) d.push(Buffer.concat([Buffer.from([0, 0, 0, c.length]), c]));
    },
    typed: [ProtocolError],
  },
];

const perTarget = Math.ceil(total / targets.length);
let untypedTotal = 0;
let slowest = { ms: 0, target: "", input: "" };
let rawSlowest = 0;

/** An input as JSON, with runs of 10 or more of one character written as <"c" x n>. */
function describe(input: string | Uint8Array[]): string {
  if (typeof input !== "string") return JSON.stringify(input.map((c) => Buffer.from(c).toString("hex")));
  return JSON.stringify(
    input.replace(/(.)\1{9,}/gsu, (run, c: string) => `<${JSON.stringify(c)} x ${run.length}>`),
  ).slice(0, 200);
}
for (const [index, target] of targets.entries()) {
  let untyped = 0;
  let typedErrors = 0;
  const examples: string[] = [];
  let worst = { ms: 0, input: "" };
  /** The slowest inputs by single timing, kept sorted, at most KEEP of them. */
  const KEEP = 20;
  let candidates: { ms: number; input: string | Uint8Array[] }[] = [];
  const started = performance.now();
  // Sampled in batches so the generator's own memory stays flat.
  for (let done = 0; done < perTarget; done += 10_000) {
    const batch = fc.sample(target.inputs, {
      seed: seed * 1000 + index * 100 + done / 10_000,
      numRuns: Math.min(10_000, perTarget - done),
    });
    for (const input of batch) {
      const t0 = performance.now();
      try {
        target.run(input as never);
      } catch (err) {
        if (target.typed.some((c) => err instanceof c)) typedErrors++;
        else {
          untyped++;
          if (examples.length < 3)
            examples.push(`${String(err).slice(0, 120)} <- ${JSON.stringify(input).slice(0, 120)}`);
        }
      }
      const ms = performance.now() - t0;
      if (ms > worst.ms) worst = { ms, input: describe(input) };
      if (candidates.length < KEEP || ms > candidates[candidates.length - 1]!.ms) {
        candidates.push({ ms, input });
        candidates.sort((a, b) => b.ms - a.ms);
        candidates = candidates.slice(0, KEEP);
      }
    }
  }
  let costliest = { ms: 0, input: "" };
  for (const { input } of candidates) {
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      try {
        target.run(input as never);
      } catch {
        // Counted in the first pass.
      }
      best = Math.min(best, performance.now() - t0);
    }
    if (best > costliest.ms) costliest = { ms: best, input: describe(input) };
  }
  untypedTotal += untyped;
  if (costliest.ms > slowest.ms) slowest = { ...costliest, target: target.name };
  if (worst.ms > rawSlowest) rawSlowest = worst.ms;
  console.log(
    JSON.stringify({
      target: target.name,
      inputs: perTarget,
      typedErrors,
      untyped,
      untypedExamples: examples,
      slowestMs: Number(costliest.ms.toFixed(2)),
      slowestInput: costliest.input,
      rawSlowestMs: Number(worst.ms.toFixed(2)),
      rawSlowestInput: worst.input,
      totalS: Number(((performance.now() - started) / 1000).toFixed(1)),
    }),
  );
}
console.log(
  JSON.stringify({
    bench: "fuzz",
    inputs: perTarget * targets.length,
    untyped: untypedTotal,
    slowestMs: Number(slowest.ms.toFixed(2)),
    slowestTarget: slowest.target,
    slowestInput: slowest.input,
    rawSlowestMs: Number(rawSlowest.toFixed(2)),
    goals: { untyped: 0, slowestMs: 50 },
    met: untypedTotal === 0 && slowest.ms < 50,
  }),
);
