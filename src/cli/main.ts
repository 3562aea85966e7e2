#!/usr/bin/env node
/**
 * The dspex CLI: setup, run, eval, optimize, studio, doctor. Every failure ends in one line with a hint and a
 * meaningful exit code: 0 ok, 1 the work failed, 2 bad usage or input.
 */
import { parseArgs } from "node:util";
import type { DSPexError } from "../errors.js";
import { runCommand } from "./commands.js";
import { INPUT_ERRORS } from "./errors.js";

const USAGE = `usage: dspex <command> [options]

commands:
  setup                                          install the Python venv and the embedded models into the DSPex home
  run <program> --input '{"question": "..."}'    run a program once (or --input key=value ...)
  eval <program> <dataset>                       evaluate on a .jsonl or .csv dataset
  optimize <program> <trainset> --optimizer NAME optimize and save the program (--out file.json)
  worker --redis URL                             run evaluation/optimization jobs from a Redis queue
  studio [--port N]                              browse recorded runs at http://127.0.0.1:N/ (default 4141)
  doctor                                         check the Python environment and models

options:
  --json               machine-readable output
  --metric NAME        metric for eval/optimize (exactMatch, answerExactMatch, f1, ...) unless the program exports one
  --inputs a,b         input fields of the dataset (default: the program's exported inputKeys, else its first predictor's)
  --concurrency N      eval: examples in flight; worker: jobs at once (default 8)
  --out PATH           where optimize saves the program (DSPy's JSON format)
  --redis URL          eval: send the examples to workers on this Redis; worker: take jobs from it
  --queue NAME         queue name shared by eval and its workers (default dspex)
  --cache MODE         worker: redis (shared with the other workers, default), local or off
  --lock-ms N          worker: job lock; a dead worker's jobs go to others after about this long (default 10000)
  --rpm N, --tpm N     worker: requests/tokens per minute per provider, shared by all workers on the Redis
  --python PATH        setup: the interpreter to make the venv from (default python3)
  --report FILE        eval/optimize: also write the run's views as one self-contained HTML file
  --no-record          run/eval/optimize: do not record the run for dspex studio (recorded by default)
  --port N             studio: the port on 127.0.0.1 (0 picks a free one)
  --no-models          setup: only the Python venv
  --models-only        setup: only the embedded models and their runtimes
`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...positionals] = parsed.positionals;
  if (!command || parsed.values.help) {
    console.log(USAGE);
    return command || parsed.values.help ? 0 : 2;
  }
  try {
    return await runCommand(command, positionals, parsed.values);
  } catch (e) {
    const err = e as DSPexError;
    console.error(`error: ${err.message.split("\n")[0]}`);
    if (err.fix) console.error(`hint: ${err.fix}`);
    return INPUT_ERRORS.has(err.name) ? 2 : 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
      metric: { type: "string" },
      inputs: { type: "string" },
      optimizer: { type: "string" },
      out: { type: "string" },
      concurrency: { type: "string" },
      redis: { type: "string" },
      queue: { type: "string" },
      cache: { type: "string" },
      "lock-ms": { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
      python: { type: "string" },
      "no-models": { type: "boolean" },
      "models-only": { type: "boolean" },
      report: { type: "string" },
      "no-record": { type: "boolean" },
      port: { type: "string" },
      dev: { type: "boolean" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

process.exitCode = await main(process.argv.slice(2));
