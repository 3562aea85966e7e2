/**
 * Finds the Deno binary for DSPy's sandbox: DSPEX_DENO, else the binary the npm package `deno`
 * ships (its per-platform package, which needs no install script), else `deno` on PATH.
 */
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";

const require = createRequire(import.meta.url);

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function platformPackage(): string | undefined {
  const arch = process.arch === "arm64" ? "arm64" : process.arch === "x64" ? "x64" : undefined;
  if (!arch) return undefined;
  if (process.platform === "linux") return `@deno/linux-${arch}-glibc`;
  if (process.platform === "darwin") return `@deno/darwin-${arch}`;
  if (process.platform === "win32") return `@deno/win32-${arch}`;
  return undefined;
}

function fromPackage(name: string): string | undefined {
  try {
    const bin = join(
      dirname(require.resolve(`${name}/package.json`)),
      process.platform === "win32" ? "deno.exe" : "deno",
    );
    return executable(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** The Deno binary to sandbox generated code with, or undefined when there is none. */
export function findDeno(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.DSPEX_DENO;
  if (explicit) return executable(explicit) ? explicit : undefined;
  const pkg = platformPackage();
  const found = (pkg && fromPackage(pkg)) || fromPackage("deno");
  if (found) return found;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, "deno"))) return join(dir, "deno");
  }
  return undefined;
}
