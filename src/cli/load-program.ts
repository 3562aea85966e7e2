/**
 * Loads a user's program file (TypeScript or JavaScript) for the CLI. The module must export a
 * Module instance (default export or `program`), or a class or factory that makes one; it may
 * also export `metric`, `inputKeys` and `lm`.
 */
import { existsSync } from "node:fs";
import { register as registerHooks } from "node:module";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DSPexError } from "../errors.js";
import type { Metric } from "../evaluate/types.js";
import type { LM } from "../lm/types.js";
import { Module } from "../modules/module.js";

export class ProgramLoadError extends DSPexError {}

export interface LoadedProgram {
  program: Module;
  metric: Metric | undefined;
  inputKeys: string[] | undefined;
  lm: LM | undefined;
  path: string;
}

/** `exportName` picks the export holding the program (default: `default`, then `program`). */
export async function loadProgram(file: string, exportName?: string): Promise<LoadedProgram> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ProgramLoadError(`program file not found: ${file}`, { fix: "check the path" });
  const ext = extname(path);
  if (!TYPESCRIPT.has(ext) && !JAVASCRIPT.has(ext)) {
    throw new ProgramLoadError(`cannot load ${file}: unsupported file type "${ext}"`, {
      fix: "write the program in a .ts, .mts, .js or .mjs file",
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importProgram(path);
  } catch (cause) {
    throw new ProgramLoadError(`cannot load ${file}: ${(cause as Error).message.split("\n")[0]}`, { cause });
  }
  const candidate = exportName === undefined ? (mod.default ?? mod.program) : mod[exportName];
  const program = await instantiate(candidate);
  if (program && !(program instanceof Module)) {
    // Looks like a module but is not ours: two copies of DSPex are loaded, and the optimizers
    // (which check predictor classes) and settings would not see each other's objects.
    throw new ProgramLoadError(`${file} uses another copy of DSPex than this CLI`, {
      fix: 'import DSPex in the program from the same install, and keep the program in an ESM package ("type": "module")',
    });
  }
  if (!program) {
    if (exportName !== undefined) {
      throw new ProgramLoadError(`${file} has no program in its export "${exportName}"`, {
        fix: `export ${exportName} as a Module instance, or a class or factory that makes one`,
      });
    }
    throw new ProgramLoadError(`${file} exports no program`, {
      fix: 'export default a Module instance (e.g. `export default new ChainOfThought("question -> answer")`)',
    });
  }
  return {
    program,
    metric: typeof mod.metric === "function" ? (mod.metric as Metric) : undefined,
    inputKeys: Array.isArray(mod.inputKeys) ? (mod.inputKeys as string[]) : undefined,
    lm: isLM(mod.lm) ? mod.lm : undefined,
    path,
  };
}

/** Duck-typed, so that a module from another copy of DSPex is recognised and reported clearly. */
function isModule(value: unknown): value is Module {
  return (
    value instanceof Module ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as Module).call === "function" &&
      typeof (value as Module).namedPredictors === "function")
  );
}

const TYPESCRIPT = new Set([".ts", ".mts", ".cts", ".tsx"]);
const JAVASCRIPT = new Set([".js", ".mjs", ".cjs"]);
let tsxRegistered = false;

/**
 * TypeScript goes through tsx's loader, registered before the first import: Node caches a
 * failed import, so trying plain `import` first would leave the file unloadable. The loader is
 * global (not tsx's namespaced tsImport) so that the program's `import "dspex"` resolves to the
 * very copy this CLI runs, and its modules are ours.
 */
async function importProgram(path: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.has(extname(path)) && !tsxRegistered) {
    const { register } = await import("tsx/esm/api");
    register();
    // Registered after tsx, so it runs first: a user's .ts/.tsx outside node_modules is an ES
    // module even in a "type": "commonjs" project (npm init's default). As CommonJS, its
    // import of dspex would be a require() of our ES modules from inside a cycle, which Node refuses.
    registerHooks(`data:text/javascript,${encodeURIComponent(ESM_TYPESCRIPT_HOOK)}`);
    tsxRegistered = true;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

const ESM_TYPESCRIPT_HOOK = `export async function load(url, context, next) {
  if (url.startsWith("file:") && /\\.tsx?$/.test(new URL(url).pathname) && !url.includes("/node_modules/")) {
    return next(url, { ...context, format: "module" });
  }
  return next(url, context);
}`;

async function instantiate(value: unknown): Promise<Module | undefined> {
  if (isModule(value)) return value;
  if (typeof value === "function") {
    const proto = (value as { prototype?: unknown }).prototype;
    if (proto && typeof (proto as Module).call === "function") return new (value as new () => Module)();
    const made = await (value as () => unknown)();
    if (isModule(made)) return made;
  }
  return undefined;
}

function isLM(value: unknown): value is LM {
  return typeof value === "object" && value !== null && "generate" in value && "specificationVersion" in value;
}
