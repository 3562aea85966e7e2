#!/usr/bin/env node
// Bundles tsc's JavaScript output in place: `node scripts/bundle.mjs [dir]` (default dist).
//
// Why: Node 20's ESM loader pays about a millisecond per file (resolve, read, compile, link), and
// `import("dspex")` read ~180 files of tsc output; a cold import cost more than Ax's single bundled
// file (bench P12). esbuild bundles every public entry point (package.json "exports" and "bin")
// with code splitting, so each module's code exists exactly once (one class identity, one
// registry, whichever subpath it is imported from) and dynamic imports stay lazy chunks.
// Dependencies stay external. The declaration files (.d.ts) are tsc's, untouched.
//
// Shared chunks are written at the top of `dir`, beside index.js: home.ts finds the package root
// as the parent of the directory its code runs from, as it does from tsc's dist/home.js.
import { build } from "esbuild";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const dir = resolve(process.argv[2] ?? join(root, "dist"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** The JavaScript entry points users can reach: each "exports" target and each bin. */
function entries() {
  const targets = new Set();
  for (const conditions of Object.values(pkg.exports)) targets.add(conditions.import ?? conditions.default);
  for (const bin of Object.values(typeof pkg.bin === "string" ? { dspex: pkg.bin } : pkg.bin)) targets.add(bin);
  // Package paths are "./dist/<entry>.js"; here they are taken relative to `dir`.
  return [...targets].map((t) => join(dir, relative("dist", t.replace(/^\.\//, ""))));
}

function walk(d, out = []) {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const entryPoints = entries();
for (const e of entryPoints) if (!existsSync(e)) throw new Error(`bundle: entry ${e} missing (run tsc first)`);
// A sibling of `dir`, at its depth, so that the source maps' relative paths hold once moved in.
const out = mkdtempSync(`${dir}-bundle-`);
const result = await build({
  entryPoints,
  outbase: dir,
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // tsc already compiled for Node 20; nothing is lowered again.
  target: "esnext",
  packages: "external",
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});

// home.ts must run from a file directly in `dir` (see above).
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (!file.endsWith(".js")) continue;
  if (Object.keys(output.inputs).some((i) => i.endsWith("/home.js")) && dirname(resolve(file)) !== out) {
    throw new Error(`bundle: home.js landed in ${file}, not at the top of the output; packageRoot() would be wrong`);
  }
}

// Replace tsc's JavaScript (and its maps) with the bundle; keep the .d.ts files.
for (const f of walk(dir)) {
  if (f.endsWith(".js") || f.endsWith(".js.map")) rmSync(f);
}
for (const f of walk(out)) {
  const target = join(dir, relative(out, f));
  rmSync(target, { force: true });
  renameSync(f, target);
}
rmSync(out, { recursive: true, force: true });
