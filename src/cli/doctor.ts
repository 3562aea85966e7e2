/**
 * `dspex doctor`: what the Python side and the local model need, what is there, and the fix
 * for whatever is missing.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { type PresetDefaults, type PresetName, presetDefaults, presetNames } from "../bridge/presets.js";
import { type PythonEnv, pinnedRequirements, probePython, resolvePython } from "../bridge/python-env.js";
import { dspexHome } from "../home.js";
import { defaultModelPath } from "../lm/providers/local-model.js";
import { installCommand, locateOptional } from "../optional.js";
import { defaultEmbedderDir } from "../retrieve/local-embedder.js";

export const PINNED_DSPY = pinnedRequirements().find((r) => r.name === "dspy")?.version ?? "unknown";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export interface Report {
  ok: boolean;
  python: PythonEnv & { version: string | null };
  dspy: { version: string | null; pinned: string };
  workerPackage: boolean;
  presets: (PresetDefaults & { name: PresetName })[];
  nodeLlamaCpp: { installed: boolean; version: string | null };
  checks: Check[];
}

function nodeLlamaCpp(env: NodeJS.ProcessEnv): { installed: boolean; version: string | null } {
  const entry = locateOptional("node-llama-cpp", env);
  if (entry === undefined) return { installed: false, version: null };
  // Its package.json is not in its exports map: walk up from the entry point to it.
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "node-llama-cpp") return { installed: true, version: pkg.version ?? null };
  }
  return { installed: true, version: null };
}

export async function doctor(options: { env?: NodeJS.ProcessEnv; python?: string } = {}): Promise<Report> {
  const env = resolvePython({ ...(options.python ? { python: options.python } : {}), env: options.env ?? process.env });
  const probe = env.exists ? probePython(env) : undefined;
  const pins = pinnedRequirements(env.root)
    .map((r) => `"${r.name}==${r.version}"`)
    .join(" ");
  const setupFix =
    env.source === "venv"
      ? `npx dspex setup (creates the venv in ${dspexHome(options.env ?? process.env)} with dspy pinned)`
      : `install it into ${env.python}: ${env.python} -m pip install ${pins} (or unset DSPEX_PYTHON and run npx dspex setup)`;
  const checks: Check[] = [];
  checks.push(
    probe
      ? { name: "python", ok: true, detail: `${env.python} (${env.source}), Python ${probe.python}` }
      : {
          name: "python",
          ok: false,
          detail: `${env.python} (${env.source}) ${env.exists ? "does not run" : "is missing"}`,
          fix: setupFix,
        },
  );
  const dspyVersion = probe?.dspy ?? null;
  checks.push(
    dspyVersion === PINNED_DSPY
      ? { name: "dspy", ok: true, detail: `dspy ${dspyVersion}` }
      : {
          name: "dspy",
          ok: false,
          detail: dspyVersion ? `dspy ${dspyVersion}, but ${PINNED_DSPY} is pinned` : "dspy is missing",
          fix: setupFix,
        },
  );
  checks.push(
    probe?.dspexWorker
      ? { name: "dspex_worker", ok: true, detail: `importable from ${env.workerPath}` }
      : { name: "dspex_worker", ok: false, detail: "the worker package does not import", fix: setupFix },
  );
  const llama = nodeLlamaCpp(options.env ?? process.env);
  checks.push(
    llama.installed
      ? { name: "node-llama-cpp", ok: true, detail: `node-llama-cpp ${llama.version}` }
      : {
          name: "node-llama-cpp",
          ok: false,
          detail: "not installed (the local() LM needs it)",
          fix: `npx dspex setup (or ${installCommand("node-llama-cpp")})`,
        },
  );
  const model = defaultModelPath(options.env ?? process.env);
  checks.push(
    existsSync(model)
      ? { name: "embedded LM", ok: true, detail: model }
      : { name: "embedded LM", ok: false, detail: `no model at ${model}`, fix: "npx dspex setup (or set DSPEX_MODEL)" },
  );
  const embedder = defaultEmbedderDir(options.env ?? process.env);
  checks.push(
    existsSync(join(embedder, "model.onnx"))
      ? { name: "embedder", ok: true, detail: embedder }
      : {
          name: "embedder",
          ok: false,
          detail: `no model in ${embedder}`,
          fix: "npx dspex setup (or set DSPEX_EMBEDDER)",
        },
  );
  return {
    ok: checks.every((c) => c.ok),
    python: { ...env, version: probe?.python ?? null },
    dspy: { version: dspyVersion, pinned: PINNED_DSPY },
    workerPackage: probe?.dspexWorker ?? false,
    presets: presetNames.map((name) => ({ name, ...presetDefaults(name) })),
    nodeLlamaCpp: llama,
    checks,
  };
}

export function formatReport(report: Report): string {
  const lines = ["dspex doctor", ""];
  for (const c of report.checks) {
    lines.push(`${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(15)} ${c.detail}`);
    if (c.fix && (!c.ok || c.name === "node-llama-cpp")) lines.push(`      ${"".padEnd(15)} fix: ${c.fix}`);
  }
  lines.push("", "Python pools (presets for this machine):");
  for (const p of report.presets) {
    lines.push(
      `  ${p.name.padEnd(11)} size ${p.size}, ${p.concurrency} calls/worker, timeout ${p.timeoutMs / 1000} s, queue ${p.queueLimit}, recycle after ${p.maxRequestsPerWorker} calls or ${p.maxRssMb} MiB`,
    );
  }
  lines.push("", report.ok ? "Everything needed is in place." : "Something is missing: see the fixes above.");
  return lines.join("\n");
}

/** Prints the report; exit code 1 when something required is missing. */
export async function printDoctor(): Promise<number> {
  const report = await doctor();
  process.stdout.write(`${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printDoctor().then((code) => process.exit(code));
}
