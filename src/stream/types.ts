/**
 * What a streamified program yields, and the contract between streamify and Predict's
 * streaming path. Events are plain tagged objects so they survive JSON (SSE to a browser).
 */
import type { Predict } from "../modules/predict.js";
import type { Fields } from "../modules/example.js";
import type { Prediction } from "../modules/prediction.js";
import type { StreamSink as RuntimeStreamSink } from "../runtime/stream-sink.js";
import type { Signature } from "../signature/signature.js";

/** A status line from the status message provider (DSPy's StatusMessage). */
export interface StatusEvent {
  type: "status";
  message: string;
}

/** Part of one output field's value as the LM writes it (DSPy's StreamResponse). */
export interface ChunkEvent {
  type: "chunk";
  /** The predictor's name in the program (`self`, `predict`, `steps[0]`, ...). */
  predictor: string;
  field: string;
  chunk: string;
  /** True on the field's final chunk (its text may be empty). */
  isLast: boolean;
}

/** A raw LM delta, before routing to fields (only with `tokens: true`). */
export interface TokenEvent {
  type: "token";
  predictor: string;
  /** Completion index, for n > 1. */
  index: number;
  delta: string;
}

/** The program's result; always the last event of a completed stream. */
export interface PredictionEvent<O extends Fields = Fields> {
  type: "prediction";
  prediction: Prediction<O>;
}

/** `O` is the fields of the program's prediction (the last event). */
export type StreamEvent<O extends Fields = Fields> = StatusEvent | ChunkEvent | TokenEvent | PredictionEvent<O>;

/** One routed piece of a field value, from a field parser. */
export interface FieldPiece {
  field: string;
  chunk: string;
  isLast: boolean;
}

/** Reads an LM's text as it arrives and says which output field each piece belongs to. */
export interface FieldParser {
  feed(delta: string): FieldPiece[];
  /** The stream ended: flush held text and close the open field. */
  end(): FieldPiece[];
}

/** The routing decided for one streaming predictor call. */
export interface StreamRoute {
  predictor: string;
  /** Output fields whose chunks are wanted. */
  fields: ReadonlySet<string>;
  /** Called with each field's final piece, so one-shot listeners can retire. */
  onFieldEnd(field: string): void;
}

/** The receiving end a streamified program puts in context; Predict's LM call hands it streaming calls. */
export interface StreamSink extends RuntimeStreamSink {
  /** How this predictor's stream is routed, or undefined when it should not stream at all. */
  route(predictor: Predict, signature: Signature): StreamRoute | undefined;
  readonly tokens: boolean;
  emit(event: StreamEvent): void;
  /** A promise while the consumer is behind (backpressure), else undefined. */
  drained(): Promise<void> | undefined;
}

export type { StreamCall } from "../runtime/stream-sink.js";
