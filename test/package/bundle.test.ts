/**
 * scripts/bundle.mjs, which `npm run build` runs over tsc's output: every public entry point is
 * still there, each module's code exists once whichever subpath imports it (one class identity),
 * the package root is found from the bundled code as from tsc's, and the .d.ts files stay.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..", "..");
const pkg = mkdtempSync(join(tmpdir(), "dspex-bundle-"));
const dist = join(pkg, "dist");
const exportsMap = (
  createRequire(import.meta.url)(join(root, "package.json")) as { exports: Record<string, { import: string }> }
).exports;

after(() => rmSync(pkg, { recursive: true, force: true }));

describe("bundled dist", { timeout: 10 * 60_000 }, () => {
  it("builds: tsc, then the bundle in place", () => {
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", dist], { cwd: root });
    const before = readdirSync(dist, { recursive: true }).filter((f) => String(f).endsWith(".js")).length;
    execFileSync(process.execPath, [join(root, "scripts", "bundle.mjs"), dist], { cwd: root });
    const after = readdirSync(dist, { recursive: true }).map(String);
    assert.ok(after.filter((f) => f.endsWith(".js")).length < before, "fewer JavaScript files than tsc wrote");
    for (const target of Object.values(exportsMap)) {
      const js = join(pkg, target.import);
      assert.ok(existsSync(js), `${target.import} exists`);
      assert.ok(existsSync(js.replace(/\.js$/, ".d.ts")), `${target.import}'s declarations exist`);
      assert.ok(existsSync(`${js}.map`), `${target.import}'s source map exists`);
    }
    assert.ok(existsSync(join(dist, "cli", "main.js")));
    assert.ok(!after.some((f) => f.startsWith("..") || f.includes("-bundle-")), "no temporary output left");
    // The package's dependencies, as an installed package would find them.
    symlinkSync(join(root, "node_modules"), join(pkg, "node_modules"));
  });

  it("one copy of each module across subpaths, and the package root found from the bundled code", async () => {
    const load = (sub: string) => import(pathToFileURL(join(dist, sub, "index.js")).href);
    const top = await load(".");
    const modules = await load("modules");
    const signature = await load("signature");
    const bridge = await load("bridge");
    assert.equal(top.Predict, modules.Predict);
    assert.equal(top.Signature, signature.Signature);
    assert.equal(bridge.packageRoot(), pkg);
    const { context, Predict, ScriptedLM } = top;
    const out = await context({ lm: new ScriptedLM([{ answer: "Paris" }]), cache: false }, () =>
      new Predict("question -> answer").call({ question: "Capital of France?" }),
    );
    assert.equal(out.answer, "Paris");
  });
});
