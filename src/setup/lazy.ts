/**
 * `setup()` as `import("dspex")` exports it: the set-up code (child processes, downloads,
 * progress bars) loads with the first call, not with every program's start.
 */
import type { SetupOptions, SetupResult } from "./index.js";

export { SetupError } from "./errors.js";
export type { SetupOptions, SetupResult } from "./index.js";

export async function setup(options: SetupOptions = {}): Promise<SetupResult> {
  return (await import("./index.js")).setup(options);
}
