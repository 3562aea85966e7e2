/** One run as the views read it: the run, its examples, its trials and its spans. Server and report share it. */
import { StudioRunNotFoundError } from "./errors.js";
import type { ExampleRow, RunRow, RunStore, SpanRow, TrialRow } from "./store.js";

export interface RunRecord {
  run: RunRow;
  examples: ExampleRow[];
  trials: TrialRow[];
  spans: SpanRow[];
}

export function runRecord(store: RunStore, id: string): RunRecord {
  const run = store.run(id);
  if (run === undefined) {
    throw new StudioRunNotFoundError(`no run ${id} in ${store.path}`, {
      context: { id, path: store.path },
      fix: "open the runs list (dspex studio) to see the recorded runs",
    });
  }
  return { run, examples: store.examples(id), trials: store.trials(id), spans: store.spans(id) };
}
