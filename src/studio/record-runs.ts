/**
 * `recordRuns()`: the library's opt-in to the studio (the CLI turns it on for eval, optimize
 * and run). Like MLflow's `mlflow.dspy.autolog()`, one call and every later Evaluate, optimizer
 * run and program call in the process is recorded; `stop()` ends it.
 */
import { configure, currentSettings } from "../runtime/settings.js";
import { RunRecorder } from "./recorder.js";
import { environmentSecrets } from "./storable.js";
import { defaultStorePath, RunStore } from "./store.js";

export interface RecordRunsOptions {
  /** The store file; default `<DSPex home>/studio/runs.sqlite`. ":memory:" keeps the runs in this process only. */
  path?: string;
  /**
   * Credentials to keep out of the store besides those in the environment (values of
   * *_KEY, *_TOKEN, *_SECRET, *PASSWORD variables): an apiKey passed to openai() in code.
   */
  secrets?: readonly string[];
}

export interface Recording {
  readonly path: string;
  readonly store: RunStore;
  readonly recorder: RunRecorder;
  /** Stops recording and closes the store. */
  stop(): void;
}

export function recordRuns(options: RecordRunsOptions = {}): Recording {
  const store = new RunStore(options.path ?? defaultStorePath());
  const recorder = new RunRecorder({ store, secrets: [...environmentSecrets(), ...(options.secrets ?? [])] });
  configure({ callbacks: [...(currentSettings().callbacks ?? []), recorder] });
  let stopped = false;
  return {
    path: store.path,
    store,
    recorder,
    stop() {
      if (stopped) return;
      stopped = true;
      configure({ callbacks: (currentSettings().callbacks ?? []).filter((c) => c !== recorder) });
      store.close();
    },
  };
}
