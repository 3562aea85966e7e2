/**
 * The sink of one streamify run: a queue between the program (producer) and the caller's
 * `for await` (consumer), with backpressure, plus the routing of each predictor's stream to
 * the listeners that asked for it.
 */
import type { Predict } from "../modules/predict.js";
import type { Signature } from "../signature/signature.js";
import type { BoundListener } from "./listener.js";
import type { LMResponse } from "../lm/types.js";
import { streamGenerate } from "./stream-generate.js";
import type { StreamCall, StreamEvent, StreamRoute, StreamSink } from "./types.js";

/** DSPy's stream buffer holds 16 items before the producer waits. */
const HIGH_WATER = 16;

export class RunSink implements StreamSink {
  readonly tokens: boolean;
  /** Whether any field chunk was sent (decides whether the Prediction is sent when not asked for). */
  streamedAny = false;
  readonly #bound: readonly BoundListener[];
  readonly #names: ReadonlyMap<Predict, string>;
  /** Listeners whose one-shot stream has ended in this run. */
  readonly #retired = new Set<BoundListener>();
  readonly #queue: StreamEvent[] = [];
  #head = 0;
  #closed = false;
  #failure: { error: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducers: (() => void)[] = [];

  constructor(options: { bound: readonly BoundListener[]; names: ReadonlyMap<Predict, string>; tokens: boolean }) {
    this.#bound = options.bound;
    this.#names = options.names;
    this.tokens = options.tokens;
  }

  generate(call: StreamCall): Promise<LMResponse> | undefined {
    const route = this.route(call.predictor as Predict, call.signature);
    return route === undefined ? undefined : streamGenerate(this, route, call);
  }

  route(predictor: Predict, signature: Signature): StreamRoute | undefined {
    if (this.#bound.length === 0) {
      return {
        predictor: this.#names.get(predictor) ?? `Predict(${predictor.signature.spec})`,
        fields: new Set(signature.outputFields.map((f) => f.name)),
        onFieldEnd: () => undefined,
      };
    }
    const active = this.#bound.filter((b) => b.predict === predictor && !this.#retired.has(b));
    if (active.length === 0) return undefined;
    return {
      predictor: active[0]!.name,
      fields: new Set(active.map((b) => b.listener.field)),
      onFieldEnd: (field) => {
        for (const b of active) if (b.listener.field === field && !b.listener.allowReuse) this.#retired.add(b);
      },
    };
  }

  emit(event: StreamEvent): void {
    if (this.#closed) return;
    if (event.type === "chunk") this.streamedAny = true;
    this.#queue.push(event);
    this.#wake();
  }

  drained(): Promise<void> | undefined {
    if (this.#closed || this.#queue.length - this.#head < HIGH_WATER) return undefined;
    return new Promise((resolve) => this.#wakeProducers.push(resolve));
  }

  /** The next event; undefined once the run is over; throws the program's error after the queued events. */
  async next(): Promise<StreamEvent | undefined> {
    for (;;) {
      if (this.#head < this.#queue.length) {
        const event = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined as unknown as StreamEvent;
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue.splice(0, this.#head);
          this.#head = 0;
        }
        this.#releaseProducers();
        return event;
      }
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
    }
  }

  close(): void {
    this.#closed = true;
    this.#wake();
    this.#releaseProducers(true);
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.#failure = { error };
    this.close();
  }

  #wake(): void {
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    wake?.();
  }

  #releaseProducers(all = false): void {
    if (this.#wakeProducers.length === 0) return;
    if (!all && this.#queue.length - this.#head >= HIGH_WATER) return;
    const waiting = this.#wakeProducers;
    this.#wakeProducers = [];
    for (const resolve of waiting) resolve();
  }
}
