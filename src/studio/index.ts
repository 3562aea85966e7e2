/** The studio: run recording (recordRuns, RunRecorder, RunStore), the local web app and static reports. */
export { StudioRunNotFoundError, StudioStoreError } from "./errors.js";
export { type Recording, type RecordRunsOptions, recordRuns } from "./record-runs.js";
export { RunRecorder, type RunRecorderOptions } from "./recorder.js";
export { writeReport } from "./report.js";
export { type RunRecord, runRecord } from "./run-record.js";
export { type ServeStudioOptions, type StudioServer, serveStudio } from "./server.js";
export {
  defaultStorePath,
  type ExampleRow,
  type RunKind,
  type RunRow,
  type RunStatus,
  RunStore,
  SCHEMA_VERSION,
  type SpanKind,
  type SpanRow,
  type TrialRow,
} from "./store.js";
