import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  installCommand,
  locateOptional,
  OPTIONAL_PARTS,
  OptionalDependencyMissingError,
  type OptionalPartName,
} from "../src/optional.js";

const root = join(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const names = Object.keys(OPTIONAL_PARTS) as OptionalPartName[];

describe("optional parts", () => {
  it("are optional peer dependencies at the versions the loader names, and devDependencies of the clone", () => {
    assert.deepEqual(Object.keys(pkg.peerDependencies).sort(), [...names].sort());
    for (const name of names) {
      assert.equal(pkg.peerDependencies[name], OPTIONAL_PARTS[name].version, name);
      assert.equal(pkg.peerDependenciesMeta[name]?.optional, true, name);
      assert.equal(pkg.devDependencies[name], OPTIONAL_PARTS[name].version, `${name} in devDependencies`);
      assert.equal(pkg.dependencies[name], undefined, `${name} must not be a hard dependency`);
    }
  });

  it("name the exact install command, with the flags a registry-only machine needs", () => {
    assert.equal(installCommand("ioredis"), "npm install ioredis@6.0.0");
    assert.equal(
      installCommand("onnxruntime-node"),
      "npm install onnxruntime-node@1.30.0 --onnxruntime-node-install=skip",
    );
    const e = new OptionalDependencyMissingError("node-llama-cpp");
    assert.equal(e.packageName, "node-llama-cpp");
    assert.match(e.message, /embedded LM.*node-llama-cpp/);
    assert.match(e.fix ?? "", /npx dspex setup/);
    assert.match(e.fix ?? "", /npm install node-llama-cpp@3\.21\.1/);
    assert.equal(new OptionalDependencyMissingError("ioredis").fix, "run `npm install ioredis@6.0.0`");
  });

  it("are found in the clone's node_modules (devDependencies) before the DSPex home", () => {
    for (const name of ["node-llama-cpp", "onnxruntime-node", "ioredis"] as const) {
      const where = locateOptional(name, { DSPEX_HOME: "/nonexistent-dspex-home" });
      assert.ok(where?.includes(join("node_modules", name)), `${name}: ${where}`);
    }
  });
});
