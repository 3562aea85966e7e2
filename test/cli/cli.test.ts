import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { parseCSV, parseJSONL } from "../../src/cli/dataset.js";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "dspex-cli-"));

// An ESM folder, like a user's project: without it tsx would load the program as CommonJS, and
// a CommonJS copy of DSPex is a different module instance from the CLI's.
writeFileSync(join(dir, "package.json"), '{"type": "module"}');

/** A program file whose LM is scripted: answers "Paris" to everything. */
const PROGRAM = join(dir, "qa.ts");
writeFileSync(
  PROGRAM,
  `import { Predict, ScriptedLM } from ${JSON.stringify(join(root, "src/index.ts"))};
export const lm = new ScriptedLM({ "": { answer: "Paris" } });
export const inputKeys = ["question"];
export default new Predict("question -> answer");
`,
);

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: root,
    // Runs are recorded by default: into the test's folder, not the user's studio.
    env: { ...process.env, DSPEX_CACHE_DIR: dir, DSPEX_STUDIO_STORE: join(dir, "runs.sqlite") },
  });
}

describe("dspex CLI", () => {
  it("runs a TypeScript program once", () => {
    const r = cli("run", PROGRAM, "--input", "question=Capital of France?", "--json");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { answer: "Paris" });
  });

  it("refuses --input keys the program does not take, naming the nearest input", () => {
    const r = cli("run", PROGRAM, "--input", "questoin=hi");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /unknown --input key questoin/);
    assert.match(r.stderr, /did you mean "question"\?/);
    assert.equal(r.stdout, "");
  });

  it("evaluates on JSONL and CSV datasets", () => {
    writeFileSync(
      join(dir, "dev.jsonl"),
      '{"question": "a?", "answer": "Paris"}\n{"question": "b?", "answer": "Rome"}\n',
    );
    writeFileSync(join(dir, "dev.csv"), 'question,answer\n"a, with comma?",Paris\n');
    const j = cli("eval", PROGRAM, join(dir, "dev.jsonl"), "--json");
    assert.equal(j.status, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { score: 50, errors: 0, n: 2 });
    const c = cli("eval", PROGRAM, join(dir, "dev.csv"), "--json");
    assert.equal(c.status, 0, c.stderr);
    assert.equal(JSON.parse(c.stdout).score, 100);
  });

  it("optimizes with a real DSPy optimizer in the pool and saves DSPy's format", () => {
    writeFileSync(
      join(dir, "train.jsonl"),
      '{"question": "a?", "answer": "Paris"}\n{"question": "b?", "answer": "Rome"}\n',
    );
    const out = join(dir, "optimized.json");
    const r = cli(
      "optimize",
      PROGRAM,
      join(dir, "train.jsonl"),
      "--optimizer",
      "labeledFewShot",
      "--out",
      out,
      "--json",
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).optimizer, "labeledFewShot");
    // A bare Predict saves flat, as dspy.Predict.save does.
    const saved = JSON.parse(readFileSync(out, "utf8")) as { demos: unknown[]; metadata: unknown };
    // LabeledFewShot samples the trainset in DSPy's seeded random order.
    const byQuestion = (a: unknown, b: unknown) =>
      String((a as { question: string }).question).localeCompare((b as { question: string }).question);
    assert.deepEqual([...saved.demos].sort(byQuestion), [
      { question: "a?", answer: "Paris" },
      { question: "b?", answer: "Rome" },
    ]);
    assert.ok(saved.metadata);
  });

  it("gives a one-line error with a hint and exit code 2 on bad input", () => {
    const missing = cli("eval", PROGRAM, join(dir, "nope.jsonl"));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /error: cannot read dataset/);
    assert.match(missing.stderr, /hint:/);

    writeFileSync(join(dir, "bad.jsonl"), '{"question": "a?", "answer": "x"}\n{"question": oops}\n');
    const bad = cli("eval", PROGRAM, join(dir, "bad.jsonl"));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /bad\.jsonl:2: invalid JSON/);

    const opt = cli("optimize", PROGRAM, join(dir, "dev.jsonl"), "--optimizer", "magic");
    assert.equal(opt.status, 2);
    assert.match(opt.stderr, /unknown optimizer "magic"/);
    assert.match(opt.stderr, /bootstrapFewShot/);

    const nofile = cli("run", join(dir, "missing.ts"), "--input", "q=1");
    assert.equal(nofile.status, 2);
    assert.match(nofile.stderr, /program file not found/);

    assert.equal(cli("frobnicate").status, 2);
  });
});

describe("dataset parsing", () => {
  it("parses CSV with quotes, doubled quotes and newlines", () => {
    assert.deepEqual(parseCSV('a,b\n"x, y","say ""hi""\nthere"\n1,2'), [
      { a: "x, y", b: 'say "hi"\nthere' },
      { a: "1", b: "2" },
    ]);
    assert.throws(() => parseCSV("a,b\n1,2,3\n"), /row 2 has 3 fields/);
  });
  it("names the JSONL line that is not an object", () => {
    assert.throws(() => parseJSONL('{"a": 1}\n[1]\n', "d.jsonl"), /d\.jsonl:2: expected a JSON object, got an array/);
  });
});
