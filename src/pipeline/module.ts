/**
 * A program whose forward is a pipeline, so that Evaluate, the optimizers, save/load and the CLI
 * treat a pipeline like any Module. The subclass declares its predictors as fields (that is what
 * optimizers tune) and lists the steps that use them in `steps()`. The pipeline is built once per
 * instance, on first use, and kept off the instance: an optimizer's copy of the program builds
 * its own from its own predictors rather than running the original's.
 */
import type { Fields } from "../modules/example.js";
import { Module } from "../modules/module.js";
import { Prediction } from "../modules/prediction.js";
import { Pipeline } from "./pipeline.js";
import type { StepLike } from "./step.js";
import type { PipelineEvent, PipelineResult } from "./types.js";

type Listener = (event: PipelineEvent) => void;

const pipelines = new WeakMap<PipelineModule, Pipeline>();
const listeners = new WeakMap<PipelineModule, Set<Listener>>();

export abstract class PipelineModule extends Module {
  /** The steps, in order; called once per instance. */
  protected abstract steps(): StepLike[];

  /** The prediction's fields from a finished run (default: the whole final state). */
  protected output(result: PipelineResult): Fields {
    return result.output;
  }

  /** The pipeline this instance runs. */
  get pipeline(): Pipeline {
    let p = pipelines.get(this);
    if (p === undefined) {
      p = new Pipeline(this.steps());
      pipelines.set(this, p);
    }
    return p;
  }

  /** Hears every step event of this instance's runs; returns the unsubscribe function. */
  onProgress(listener: Listener): () => void {
    let set = listeners.get(this);
    if (set === undefined) {
      set = new Set();
      listeners.set(this, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  async forward(inputs: Fields): Promise<Prediction> {
    const set = listeners.get(this);
    const result = await this.pipeline.run(
      inputs,
      set && set.size > 0
        ? {
            onProgress: (e) => {
              for (const l of set) l(e);
            },
          }
        : {},
    );
    return new Prediction(this.output(result));
  }
}
