/**
 * Optional parts: heavy or rarely used packages that `npm install dspex` does not pull in
 * (optional peer dependencies). Each is imported on first use, from the user's project if it
 * is installed there, else from the runtime folder `dspex setup` fills in the DSPex home.
 * When neither has it, the feature fails with one typed error naming the command to run.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DSPexError } from "./errors.js";
import { homePaths } from "./home.js";

export interface OptionalPart {
  /** The exact version we test with (peerDependencies allows it). */
  version: string;
  /** What needs it, for the error message. */
  feature: string;
  /** Extra npm flags its install needs on a machine that reaches only the registry. */
  installFlags?: string;
  /** Whether `dspex setup` installs it into the DSPex home (else the user installs it). */
  setupInstalls: boolean;
}

/** Keep in step with package.json's peerDependencies (test/optional.test.ts checks it). */
export const OPTIONAL_PARTS = {
  "node-llama-cpp": { version: "3.21.1", feature: "the embedded LM (local())", setupInstalls: true },
  "onnxruntime-node": {
    version: "1.30.0",
    feature: "the local embedding model",
    // Its install script fetches GPU add-ons from outside the registry; the CPU build is in the package.
    installFlags: "--onnxruntime-node-install=skip",
    setupInstalls: true,
  },
  deno: { version: "2.9.6", feature: "ProgramOfThought's sandbox", setupInstalls: false },
  ioredis: { version: "6.0.0", feature: "the Redis cache", setupInstalls: false },
  bullmq: { version: "6.7.0", feature: "the distributed queue (dspex/scale)", setupInstalls: false },
  pg: { version: "8.23.1", feature: "the PostgreSQL retrievers (full-text and pgvector)", setupInstalls: false },
  "sqlite-vec": { version: "0.1.9", feature: "the embedded vector store (sqlite-vec)", setupInstalls: false },
} as const satisfies Record<string, OptionalPart>;

export type OptionalPartName = keyof typeof OPTIONAL_PARTS;

/** The command that installs `name` into the user's project. */
export function installCommand(name: OptionalPartName): string {
  const part: OptionalPart = OPTIONAL_PARTS[name];
  return `npm install ${name}@${part.version}${part.installFlags ? ` ${part.installFlags}` : ""}`;
}

/** An optional part is needed and installed nowhere we look. */
export class OptionalDependencyMissingError extends DSPexError {
  readonly packageName: OptionalPartName;
  readonly installCommand: string;

  constructor(name: OptionalPartName, cause?: unknown) {
    const part: OptionalPart = OPTIONAL_PARTS[name];
    const command = installCommand(name);
    super(`${part.feature} needs the optional package ${name}, which is not installed.`, {
      context: { package: name, version: part.version },
      fix: part.setupInstalls
        ? `run \`npx dspex setup\` (it installs ${name}), or \`${command}\``
        : `run \`${command}\``,
      cause,
    });
    this.packageName = name;
    this.installCommand = command;
  }
}

function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code !== "ERR_MODULE_NOT_FOUND" && e?.code !== "MODULE_NOT_FOUND") return false;
  // A package that is there but lacks one of its own files is broken, not missing: let that through.
  return typeof e.message === "string" && (e.message.includes(`'${name}'`) || e.message.includes(`"${name}"`));
}

const loaded = new Map<string, Promise<unknown>>();

/**
 * Imports an optional part: the project's copy first (resolved from this package, as Node
 * resolves peers), then the DSPex home's. The caller names the module's type, e.g.
 * `importOptional<typeof import("ioredis")>("ioredis")`, so no type of it reaches our public
 * declarations.
 */
export function importOptional<T>(name: OptionalPartName, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const runtime = homePaths(env).runtime;
  const key = `${name}\0${runtime}`;
  let promise = loaded.get(key);
  if (promise === undefined) {
    promise = load(name, runtime);
    loaded.set(key, promise);
    promise.catch(() => loaded.delete(key));
  }
  return promise as Promise<T>;
}

async function load(name: OptionalPartName, runtime: string): Promise<unknown> {
  try {
    return await import(name);
  } catch (error) {
    if (!isMissing(error, name)) throw error;
  }
  let resolved: string;
  try {
    resolved = createRequire(join(runtime, "package.json")).resolve(name);
  } catch (error) {
    throw new OptionalDependencyMissingError(name, error);
  }
  return import(pathToFileURL(resolved).href);
}

/** Where `name` would load from now: "project", "home", or undefined when it is missing. */
export function locateOptional(name: OptionalPartName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const base of [import.meta.url, pathToFileURL(join(homePaths(env).runtime, "package.json")).href]) {
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not there
    }
  }
  return undefined;
}
