/**
 * Runs one pathological parse in its own process, so that a test can stop it if it hangs (a
 * blocked event loop cannot time itself out). Prints the outcome as JSON.
 */
import { AdapterParseError, ChatAdapter, JSONAdapter, repairJsonLoads } from "../../../src/adapters/index.js";
import { firstBalancedObject } from "../../../src/adapters/json.js";
import { Signature } from "../../../src/signature/index.js";

const N = Number(process.argv[3] ?? 1_000_000);
const outcome = (run: () => unknown): unknown => {
  try {
    return { value: run() };
  } catch (err) {
    return { error: err instanceof AdapterParseError ? "AdapterParseError" : String(err) };
  }
};

const cases: Record<string, () => unknown> = {
  intWithInnerSpaces: () =>
    outcome(() => new ChatAdapter().parse(Signature.parse("q -> n: int"), `[[ ## n ## ]]\n1${" ".repeat(N)}x`)),
  intPadded: () =>
    outcome(() =>
      new ChatAdapter().parse(Signature.parse("q -> n: int"), `[[ ## n ## ]]\n${" ".repeat(N)}42${"\t".repeat(N)}`),
    ),
  unterminatedString: () => {
    const r = outcome(() => new JSONAdapter().parse(Signature.parse("q -> a"), `{"a": "${" ".repeat(N)}x`)) as {
      value?: { a: string };
    };
    return { length: r.value?.a.length, tail: r.value?.a.slice(-2) };
  },
  trailingClosers: () => repairJsonLoads(`{"a": "b${" ".repeat(N)}}]`),
  parenRun: () => outcome(() => repairJsonLoads(`{"a": ${"(".repeat(N)}`)),
  // Each of N/3 lines opens a '(' whose closer stands in the run at the end: json_repair rescans
  // to that run for every line.
  parenLines: () => {
    const n = Math.floor(N / 3);
    return outcome(() => repairJsonLoads(`${"(1\n".repeat(n)}${")".repeat(n)}x`));
  },
  unclosedBraces: () => ({
    balanced: firstBalancedObject(`[${"{".repeat(N)}`) ?? null,
    parse: outcome(() => new JSONAdapter().parse(Signature.parse("q -> a"), `[${"{".repeat(N)}`)),
    later: firstBalancedObject(`${"{".repeat(N)}{"a": 1}`) ?? null,
  }),
};

const name = process.argv[2] ?? "";
const run = cases[name];
if (!run) throw new Error(`no case ${name}; cases: ${Object.keys(cases).join(", ")}`);
process.stdout.write(JSON.stringify(run()));
