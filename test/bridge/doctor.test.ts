import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { doctor, formatReport } from "../../src/cli/doctor.js";

describe("doctor", () => {
  it("reports the project interpreter, the pinned DSPy and the pools", async () => {
    const report = await doctor({ env: {} });
    assert.equal(report.python.source, "venv");
    assert.equal(report.dspy.version, "3.4.1");
    assert.ok(report.workerPackage);
    assert.deepEqual(
      report.presets.map((p) => p.name),
      ["modules", "optimizers", "retrievers", "multimodal"],
    );
    assert.ok(report.ok);
    assert.match(formatReport(report), /ok {4}dspy {12}dspy 3\.4\.1/);
  });

  it("says what is missing and how to fix it", async () => {
    const report = await doctor({ python: "/nonexistent/python3" });
    assert.equal(report.ok, false);
    const text = formatReport(report);
    assert.match(text, /FAIL {2}python/);
    assert.match(text, /FAIL {2}dspy {12}dspy is missing/);
    assert.match(
      text,
      /fix: install it into \/nonexistent\/python3: \/nonexistent\/python3 -m pip install "dspy==3\.4\.1"/,
    );
  });
});
