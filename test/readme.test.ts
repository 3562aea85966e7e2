/**
 * Every ```ts block of README.md compiles as a user's file would: against the built package
 * (dist and its .d.ts, installed as a real folder under node_modules), with tsc --strict,
 * module/moduleResolution NodeNext and no skipLibCheck. The optional peers are not reachable
 * from there, so a type of theirs leaking into our declarations fails this test.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const root = join(import.meta.dirname, "..");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const project = mkdtempSync(join(tmpdir(), "dspex-readme-"));
after(() => rmSync(project, { recursive: true, force: true }));

describe("README", () => {
  it("every ts block is complete and compiles against the built package under --strict NodeNext, no skipLibCheck", () => {
    const blocks = tsBlocks(readFileSync(join(root, "README.md"), "utf8"));
    assert.ok(blocks.length >= 2, `found ${blocks.length} ts blocks`);
    const pkgDir = join(project, "node_modules", "dspex");
    const build = spawnSync(
      process.execPath,
      [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", join(pkgDir, "dist")],
      { encoding: "utf8" },
    );
    assert.equal(build.status, 0, build.stdout + build.stderr);
    cpSync(join(root, "package.json"), join(pkgDir, "package.json"));
    // Only what `npm install dspex` brings that our declarations use: zod, the OpenTelemetry API
    // (a dependency), and Node's types.
    for (const dep of ["zod", "@opentelemetry/api", "@types/node", "undici-types"]) {
      mkdirSync(join(project, "node_modules", dep, ".."), { recursive: true });
      symlinkSync(join(root, "node_modules", dep), join(project, "node_modules", dep));
    }
    writeFileSync(join(project, "package.json"), '{"name": "readme-check", "type": "module", "private": true}\n');
    const files = blocks.map((code, i) => {
      const file = `block-${i + 1}.ts`;
      writeFileSync(join(project, file), code);
      return file;
    });
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          target: "ES2022",
          lib: ["ES2023"],
          types: ["node"],
          noEmit: true,
          skipLibCheck: false,
        },
        files,
      }),
    );
    const check = spawnSync(process.execPath, [tsc, "-p", join(project, "tsconfig.json")], {
      encoding: "utf8",
      cwd: project,
    });
    assert.equal(check.status, 0, `README blocks do not compile:\n${check.stdout}${check.stderr}`);
  });
});
