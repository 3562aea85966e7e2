/** Results output: DSPy's merged records, the text table, CSV and JSON exports, and the display options. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  answerExactMatch,
  Evaluate,
  type EvaluationResult,
  evaluate,
  formatTable,
  resultRecords,
  toCSV,
  toJSON,
  truncateCell,
} from "../../src/evaluate/index.js";
import { Example, type Fields } from "../../src/modules/example.js";
import { Prediction } from "../../src/modules/prediction.js";

const devset = [
  new Example({ question: "Capital of France?", answer: "Paris" }).withInputs("question"),
  new Example({ question: 'Say "hi", twice', answer: "hi, hi" }).withInputs("question"),
  new Example({ question: "fail", answer: "x" }).withInputs("question"),
];
const program = {
  call(inputs: Fields): Prediction {
    if (inputs.question === "fail") throw new Error("no answer\nfor this");
    return new Prediction({ answer: inputs.question === "fail" ? "" : "Paris", rationale: "because" });
  },
};

async function sample(): Promise<EvaluationResult> {
  return evaluate(program, devset, answerExactMatch, { concurrency: 2 });
}

describe("evaluation output", () => {
  it("merges example and prediction like DSPy's merge_dicts, plus the metric column", async () => {
    const records = resultRecords(await sample());
    assert.deepEqual(records[0], {
      question: "Capital of France?",
      example_answer: "Paris",
      pred_answer: "Paris",
      rationale: "because",
      answerExactMatch: 1,
    });
    assert.deepEqual(records[2], { question: "fail", answer: "x", answerExactMatch: 0 });
  });

  it("exports JSON and CSV (Python csv quoting, CRLF, union of columns)", async () => {
    const result = await sample();
    assert.deepEqual(JSON.parse(toJSON(result)), resultRecords(result));
    assert.equal(
      toCSV(result),
      "question,example_answer,pred_answer,rationale,answerExactMatch,answer\r\n" +
        "Capital of France?,Paris,Paris,because,1,\r\n" +
        '"Say ""hi"", twice","hi, hi",Paris,because,0,\r\n' +
        "fail,,,,0,x\r\n",
    );
  });

  it("formats a text table with ✔️ scores, an error column, and a row limit", async () => {
    const result = await sample();
    const table = formatTable(result);
    const lines = table.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /question\s+example_answer\s+pred_answer\s+rationale\s+answer\s+answerExactMatch\s+error/);
    assert.match(lines[1]!, /^0\s+Capital of France\?\s+Paris\s+Paris\s+because\s+✔️ \[1\.000\]/);
    assert.match(lines[3]!, /✔️ \[0\.000\]\s+Error: no answer for this$/);
    const limited = formatTable(result, { limit: 1 });
    assert.match(limited, /\.\.\. 2 more rows not displayed \.\.\.\n$/);
  });

  it("truncates cells to 25 words like DSPy", () => {
    const long = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
    assert.equal(truncateCell(long), `${long.split(" ").slice(0, 25).join(" ")}...`);
    assert.equal(truncateCell("short text"), "short text");
  });

  it("displayProgress, displayTable, saveAsCSV and saveAsJSON write where they are told", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dspex-eval-"));
    try {
      let written = "";
      const output = { write: (s: string) => (written += s), isTTY: false };
      const result = await new Evaluate({
        devset,
        metric: answerExactMatch,
        displayProgress: true,
        displayTable: 2,
        saveAsCSV: join(dir, "r.csv"),
        saveAsJSON: join(dir, "r.json"),
        output,
      }).run(program);
      assert.match(written, /Average Metric: 1 \/ 3 \(33\.3%\)/);
      assert.match(written, /1 more rows not displayed/);
      assert.equal(await readFile(join(dir, "r.csv"), "utf8"), toCSV(result));
      assert.deepEqual(JSON.parse(await readFile(join(dir, "r.json"), "utf8")), resultRecords(result));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
