/**
 * The interpreter check before any worker starts: a Python without the pinned requirements
 * fails the pool once, with the fix, instead of crash-looping on ImportError. Real
 * interpreters: bare venvs made here (no pip, no packages).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PoolFailedError, PythonEnvError, PythonPool } from "../../src/bridge/index.js";

const dir = mkdtempSync(join(tmpdir(), "dspex-pycheck-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function bareVenv(path: string): string {
  execFileSync("python3", ["-m", "venv", "--without-pip", path]);
  return join(path, "bin", "python");
}
const bare = bareVenv(join(dir, "bare"));

describe("interpreter check", () => {
  it("a Python without dspy fails the pool at once with one typed error and the pip command", async () => {
    const logs: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const err = await PythonPool.start({ name: "nodspy", size: 2, python: bare, logger }).catch((e: unknown) => e);
    assert.ok(err instanceof PythonEnvError, String(err));
    assert.ok(err instanceof PoolFailedError, "callers catching PoolFailedError still catch it");
    assert.deepEqual(err.missing, [
      "dspy==3.4.1",
      "msgpack==1.2.4",
      "json_repair==0.64.6",
      "pydantic==2.14.4",
      "numpy==2.4.6",
      "optuna==5.0.0",
    ]);
    assert.match(err.message, /dspy is missing/);
    assert.match(
      err.fix ?? "",
      new RegExp(`${bare.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} -m pip install "dspy==3\\.4\\.1"`),
    );
    assert.match(err.fix ?? "", /npx dspex setup/);
    // No worker was started, so none crashed.
    assert.deepEqual(
      logs.filter((l) => /worker crashed/.test(l)),
      [],
    );
  });

  it("the DSPex home's venv without DSPy: the fix is `npx dspex setup`", async () => {
    const home = join(dir, "home");
    bareVenv(join(home, "venv"));
    const saved = process.env.DSPEX_HOME;
    process.env.DSPEX_HOME = home;
    try {
      const err = await PythonPool.start({ name: "homevenv", size: 1 }).catch((e: unknown) => e);
      assert.ok(err instanceof PythonEnvError, String(err));
      assert.equal(err.python, join(home, "venv", "bin", "python"));
      assert.match(err.fix ?? "", /^run `npx dspex setup`/);
    } finally {
      if (saved === undefined) delete process.env.DSPEX_HOME;
      else process.env.DSPEX_HOME = saved;
    }
  });

  it("a pool that does not import DSPy does not ask for it", async () => {
    const err = await PythonPool.start({ name: "nodspy2", size: 1, python: bare, importDspy: false }).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof PythonEnvError);
    assert.ok(!err.missing.includes("dspy==3.4.1"));
    assert.ok(err.missing.includes("msgpack==1.2.4"));
  });

  it("the real venv passes and the pool starts", async () => {
    const pool = await PythonPool.start({ name: "ok", size: 1, importDspy: false });
    try {
      assert.equal(pool.stats().state, "running");
    } finally {
      await pool.close();
    }
  });
});
