import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the SQLite cache lives: `$DSPEX_CACHE_DIR/cache.db`, else the XDG cache dir
 * (`${XDG_CACHE_HOME:-~/.cache}/dspex/cache.db`). Read when a cache is built, never at import,
 * so tests and programs can point it elsewhere without global state.
 */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env["DSPEX_CACHE_DIR"];
  if (dir !== undefined && dir !== "") return join(dir, "cache.db");
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg !== undefined && xdg !== "" ? xdg : join(homedir(), ".cache");
  return join(base, "dspex", "cache.db");
}
