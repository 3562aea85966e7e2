/**
 * DSPy's `streamify`: wraps a program so that calling it gives an async iterable of status
 * messages, field chunks and finally the Prediction. The program runs with a stream sink, a
 * status callback and an abort signal in context; leaving the `for await` early aborts that
 * signal, which cancels the LM request in flight (the HTTP connection is closed).
 */
import type { Fields } from "../modules/example.js";
import type { Module, ModuleInputs } from "../modules/module.js";
import { Predict } from "../modules/predict.js";
import { context, currentSettings, type Settings } from "../runtime/settings.js";
import { bindListeners, type StreamListener } from "./listener.js";
import { RunSink } from "./run-sink.js";
import { type StatusMessageProvider, statusCallback } from "./status.js";
import type { StreamEvent } from "./types.js";

export interface StreamifyOptions {
  /** Which fields of which predictors to stream; default: every output field of every predictor. */
  streamListeners?: readonly StreamListener[];
  /** Status messages for module and LM starts and ends (DSPy's StatusMessageProvider). */
  statusMessages?: StatusMessageProvider;
  /**
   * With listeners, whether the Prediction ends the stream (default true). As in DSPy it is sent
   * anyway when nothing was streamed (a cache hit, or no listener matched).
   */
  includeFinalPrediction?: boolean;
  /** Also yield every raw LM delta as a `token` event. */
  tokens?: boolean;
}

export interface StreamCallOptions {
  signal?: AbortSignal;
}

/** Takes the program's inputs; the final event carries its typed prediction. */
export type StreamingProgram<I extends Fields = Fields, O extends Fields = Fields> = (
  inputs: ModuleInputs<I>,
  options?: StreamCallOptions,
) => AsyncGenerator<StreamEvent<O>, void>;

export function streamify<I extends Fields = Fields, O extends Fields = Fields>(
  program: Module<I, O>,
  options: StreamifyOptions = {},
): StreamingProgram<I, O> {
  // The events are built untyped inside; only the final prediction's type depends on O.
  return streamifyUntyped(program as unknown as Module, options) as unknown as StreamingProgram<I, O>;
}

function streamifyUntyped(program: Module, options: StreamifyOptions): StreamingProgram {
  const bound = bindListeners(program, options.streamListeners ?? []);
  const names = new Map<Predict, string>();
  for (const [name, p] of program.namedPredictors()) if (p instanceof Predict) names.set(p, name);
  const includeFinal = options.includeFinalPrediction ?? true;

  return (inputs: Fields, callOptions: StreamCallOptions = {}) => {
    // The settings of the call, not of the first iteration: a caller may create the stream
    // inside context() and iterate it outside.
    return runStream(currentSettings(), inputs, callOptions);
  };

  async function* runStream(
    settings: Settings,
    inputs: Fields,
    callOptions: StreamCallOptions,
  ): AsyncGenerator<StreamEvent, void> {
    const controller = new AbortController();
    const outer = callOptions.signal ?? settings.signal;
    const signal = outer === undefined ? controller.signal : AbortSignal.any([outer, controller.signal]);
    const sink = new RunSink({ bound, names, tokens: options.tokens ?? false });
    const callbacks = [...(settings.callbacks ?? []), statusCallback(sink, options.statusMessages)];
    void context({ ...settings, stream: sink, signal, callbacks }, () => program.call(inputs)).then(
      (prediction) => {
        if (includeFinal || bound.length === 0 || !sink.streamedAny) {
          sink.emit({ type: "prediction", prediction });
        }
        sink.close();
      },
      (error: unknown) => sink.fail(error),
    );
    let finished = false;
    try {
      for (;;) {
        const event = await sink.next();
        if (event === undefined) break;
        yield event;
      }
      finished = true;
    } finally {
      if (!finished) {
        controller.abort();
        sink.close();
      }
    }
  }
}
