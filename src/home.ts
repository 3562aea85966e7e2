/**
 * The DSPex home: the one per-user folder that holds the Python venv, the embedded models and
 * the runtimes `dspex setup` installs. `$DSPEX_HOME`, else `$XDG_DATA_HOME/dspex`, else
 * `~/.local/share/dspex`. Nothing is looked up relative to the current directory, so a program
 * finds the same set-up whichever folder it runs from, in a clone or as an installed package.
 */
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface HomePaths {
  /** The home itself. */
  home: string;
  /** The Python venv with pinned DSPy for the worker pools. */
  venv: string;
  /** Its interpreter. */
  python: string;
  /** Embedded models (the GGUF LM, the embedder folder). */
  models: string;
  /** An npm prefix for optional runtimes set-up installs (node-llama-cpp, onnxruntime-node). */
  runtime: string;
  /** The studio's store of recorded runs (evaluations, optimizer runs, traces); `$DSPEX_STUDIO_STORE` moves it. */
  studio: string;
}

/** Read on every call, never at import, so tests and programs can point it elsewhere. */
export function dspexHome(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.DSPEX_HOME;
  if (explicit !== undefined && explicit !== "") return resolve(explicit);
  const xdg = env.XDG_DATA_HOME;
  const base = xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".local", "share");
  return join(base, "dspex");
}

export function homePaths(env: NodeJS.ProcessEnv = process.env): HomePaths {
  const home = dspexHome(env);
  const venv = join(home, "venv");
  return {
    home,
    venv,
    python: join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python"),
    models: join(home, "models"),
    runtime: join(home, "runtime"),
    studio: env.DSPEX_STUDIO_STORE ? resolve(env.DSPEX_STUDIO_STORE) : join(home, "studio", "runs.sqlite"),
  };
}

/** The installed dspex package (or the clone): src/ and dist/ both sit one level under it. */
export function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..");
}
