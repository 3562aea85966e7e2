export { StreamListener, StreamListenerError } from "./listener.js";
export type { StatusMessageProvider } from "./status.js";
export { type StreamifyOptions, type StreamingProgram, streamify } from "./streamify.js";
export type { ChunkEvent, PredictionEvent, StatusEvent, StreamEvent, TokenEvent } from "./types.js";
