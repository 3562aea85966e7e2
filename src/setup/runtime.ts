/**
 * The native runtimes of the embedded models (node-llama-cpp, onnxruntime-node), installed by
 * npm into the DSPex home when the user's project does not have them. Only this platform's
 * CPU build is fetched (no CUDA/Vulkan variants, no install scripts), so it needs nothing but
 * the npm registry. src/optional.ts loads them from there.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { homePaths } from "../home.js";
import { OPTIONAL_PARTS, type OptionalPartName, locateOptional } from "../optional.js";
import type { Progress } from "./progress.js";
import { runCommand } from "./run.js";

const STEP = "model runtimes";

/** node-llama-cpp's prebuilt CPU binary package for this platform (see its optionalDependencies). */
export function llamaBinaryPackage(platform = process.platform, arch = process.arch): string | undefined {
  const os = platform === "darwin" ? "mac" : platform === "win32" ? "win" : platform === "linux" ? "linux" : undefined;
  if (os === undefined || !["x64", "arm64", "armv7l"].includes(arch)) return undefined;
  return `@node-llama-cpp/${os}-${arch}${os === "mac" && arch === "arm64" ? "-metal" : ""}`;
}

function installedVersion(dir: string, name: string): string | undefined {
  const file = join(dir, "node_modules", name, "package.json");
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version;
}

export interface RuntimeSetupOptions {
  env?: NodeJS.ProcessEnv;
  /** Parts to install; default: those set-up installs. */
  parts?: OptionalPartName[];
}

export async function setupRuntimes(progress: Progress, options: RuntimeSetupOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  const dir = homePaths(env).runtime;
  const parts =
    options.parts ??
    (Object.keys(OPTIONAL_PARTS) as OptionalPartName[]).filter((name) => OPTIONAL_PARTS[name].setupInstalls);
  const wanted: Record<string, string> = {};
  for (const name of parts) {
    const where = locateOptional(name, env);
    // The project's own copy wins at load time, so a home copy would only take disk.
    if (where !== undefined && !where.startsWith(dir)) continue;
    wanted[name] = OPTIONAL_PARTS[name].version;
    const binary = name === "node-llama-cpp" ? llamaBinaryPackage() : undefined;
    if (binary !== undefined) wanted[binary] = OPTIONAL_PARTS[name].version;
  }
  const names = Object.keys(wanted);
  if (names.length === 0) {
    progress.log(`setup: ${STEP}: provided by the project's node_modules`);
    return [];
  }
  if (names.every((n) => installedVersion(dir, n) === wanted[n])) {
    progress.log(`setup: ${STEP}: up to date (${dir})`);
    return [];
  }
  const step = progress.step(STEP, 2);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "dspex-runtime", private: true, description: "Installed by dspex setup", dependencies: wanted }, null, 2)}\n`,
  );
  step.update(0, `npm install ${names.join(" ")}`);
  // --omit=optional skips node-llama-cpp's GPU builds (we named the CPU one); --ignore-scripts
  // skips install steps that would fetch from outside the registry.
  await runCommand(
    STEP,
    process.platform === "win32" ? "npm.cmd" : "npm",
    [
      "install",
      "--omit=optional",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--loglevel=error",
    ],
    { cwd: dir, env, fix: "check that the npm registry is reachable, or install the packages into your project" },
  );
  step.update(1, "removing other platforms' binaries");
  pruneOnnxRuntime(dir);
  step.finish(`installed ${names.join(", ")} in ${dir}`);
  return names;
}

/** onnxruntime-node ships every OS's binaries in one package; keep only this one's. */
function pruneOnnxRuntime(dir: string): void {
  const bin = join(dir, "node_modules", "onnxruntime-node", "bin");
  if (!existsSync(bin)) return;
  for (const napi of readdirSync(bin)) {
    const folder = join(bin, napi);
    if (!existsSync(folder)) continue;
    for (const os of readdirSync(folder)) {
      if (os !== process.platform) rmSync(join(folder, os), { recursive: true, force: true });
    }
  }
}
