/**
 * `dspex setup` / `setup()`: fills the DSPex home with what the Python pools and the embedded
 * models need. The same code serves a package consumer (`npx dspex setup`) and a clone
 * (`npm run setup`). Every step is idempotent and a second run only reads stamps.
 */
import { homePaths } from "../home.js";
import { setupModels } from "./models.js";
import { type Progress, consoleProgress } from "./progress.js";
import { setupPython } from "./python.js";
import { setupRuntimes } from "./runtime.js";

export { SetupError } from "./errors.js";
export { consoleProgress, type Progress, silentProgress, type StepReporter } from "./progress.js";

export interface SetupOptions {
  /** The interpreter the venv is made from (default: $PYTHON, else python3). */
  python?: string;
  /** Install the embedded models and their runtimes (default true; `--no-models` turns it off). */
  models?: boolean;
  /** Only the models and their runtimes, no venv (`--models-only`). */
  modelsOnly?: boolean;
  /** Also install the Python test requirements (a clone of DSPex). */
  dev?: boolean;
  /** Environment to read DSPEX_HOME and friends from. */
  env?: NodeJS.ProcessEnv;
  /** Where progress goes; default: bars on a terminal's stderr, plain lines otherwise. */
  progress?: Progress;
}

export interface SetupResult {
  home: string;
  /** The venv's interpreter, unless the Python step was left out. */
  python: string | undefined;
  dspy: string | null | undefined;
  /** Files and packages installed by this run (empty on an up-to-date home). */
  installed: string[];
  seconds: number;
}

export async function setup(options: SetupOptions = {}): Promise<SetupResult> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const progress = options.progress ?? consoleProgress();
  const home = homePaths(env).home;
  const installed: string[] = [];
  let python: string | undefined;
  let dspy: string | null | undefined;
  progress.log(`setup: DSPex home ${home}`);
  if (!options.modelsOnly) {
    const py = await setupPython(progress, {
      ...(options.python === undefined ? {} : { python: options.python }),
      dev: options.dev ?? false,
      env,
    });
    python = py.python;
    dspy = py.dspy;
    if (!py.skipped) installed.push(py.python);
  }
  if (options.models !== false || options.modelsOnly) {
    installed.push(
      ...(await setupModels(progress, {
        env,
        ...(options.python && options.modelsOnly ? { python: options.python } : {}),
      })),
    );
    installed.push(...(await setupRuntimes(progress, { env })));
  }
  const seconds = (Date.now() - started) / 1000;
  progress.log(`setup: done in ${seconds.toFixed(1)} s`);
  return { home, python, dspy, installed, seconds };
}
