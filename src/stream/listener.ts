/**
 * DSPy's StreamListener: which output field of which predictor to stream. A listener is only
 * configuration; the state of a run (has its field ended?) lives in that run, so the same
 * listeners serve every call of a streamified program. Without `predict`, streamify finds the
 * one predictor that has the field, and refuses when none or several do (as DSPy does).
 */
import { DSPexError } from "../errors.js";
import type { Module } from "../modules/module.js";
import { Predict } from "../modules/predict.js";

export interface StreamListenerOptions {
  /** The predictor to listen to; default: the only predictor in the program with this output field. */
  predict?: Predict;
  /** The name to report in chunks; default: the predictor's name in the program. */
  predictName?: string;
  /** Keep streaming the field each time the predictor runs again in the same call (default: first time only). */
  allowReuse?: boolean;
}

export class StreamListener {
  readonly field: string;
  readonly predict: Predict | undefined;
  readonly predictName: string | undefined;
  readonly allowReuse: boolean;

  constructor(field: string, options: StreamListenerOptions = {}) {
    this.field = field;
    this.predict = options.predict;
    this.predictName = options.predictName;
    this.allowReuse = options.allowReuse ?? false;
  }
}

export class StreamListenerError extends DSPexError {}

/** A listener bound to its predictor and name for one streamify wrapper. */
export interface BoundListener {
  readonly listener: StreamListener;
  readonly predict: Predict;
  readonly name: string;
}

/** DSPy's `find_predictor_for_stream_listeners`. */
export function bindListeners(program: Module, listeners: readonly StreamListener[]): BoundListener[] {
  const named = program.namedPredictors().filter((entry): entry is [string, Predict] => entry[1] instanceof Predict);
  const nameOf = new Map(named.map(([name, p]) => [p, name]));
  return listeners.map((listener) => {
    if (listener.predict !== undefined) {
      return {
        listener,
        predict: listener.predict,
        name: listener.predictName ?? nameOf.get(listener.predict) ?? "predict",
      };
    }
    const owners = named.filter(([, p]) => p.signature.outputFields.some((f) => f.name === listener.field));
    if (owners.length === 0) {
      throw new StreamListenerError(`No predictor in the program has an output field "${listener.field}"`, {
        context: { field: listener.field, predictors: named.map(([name, p]) => `${name}: ${p.signature.spec}`) },
        fix: "check the field name, or pass { predict } to the StreamListener",
      });
    }
    if (owners.length > 1) {
      throw new StreamListenerError(`Output field "${listener.field}" is not unique in the program`, {
        context: { field: listener.field, predictors: owners.map(([name]) => name) },
        fix: "pass { predict } to the StreamListener to say which predictor to listen to",
      });
    }
    const [name, predict] = owners[0]!;
    return { listener, predict, name: listener.predictName ?? name };
  });
}
