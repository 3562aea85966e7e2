/** The one program walk: names, state, preparation and copies agree for every module kind. No Python needed. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigurationError } from "../../src/errors.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { BestOfN } from "../../src/modules/best-of-n.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import type { Fields } from "../../src/modules/example.js";
import { MEMBERS, Module, prepareProgram } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { ReAct } from "../../src/modules/python/react.js";
import { Refine } from "../../src/modules/refine.js";
import { copyProgram, walkProgram } from "../../src/modules/walk.js";
import { context } from "../../src/runtime/settings.js";

class Attempts extends Module {
  readonly best = new BestOfN(new Predict("q -> a"), {
    N: 2,
    rewardFn: (_, p) => (p.a === "yes" ? 1 : 0),
    threshold: 1,
  });
  readonly refine = new Refine(new ChainOfThought("q -> a"), { N: 2, rewardFn: () => 1, threshold: 1 });
  async forward(inputs: Fields): Promise<Prediction> {
    await this.best.call({ q: String(inputs.q) });
    return this.refine.call({ q: String(inputs.q) });
  }
}

/** A user class with #private fields: structural copies cannot reach them, so it clones itself. */
class WithSecret extends Module {
  readonly step = new Predict("q -> a");
  readonly #prefix: string;
  constructor(prefix: string) {
    super();
    this.#prefix = prefix;
  }
  clone(): WithSecret {
    return new WithSecret(this.#prefix);
  }
  async forward(inputs: Fields): Promise<Prediction> {
    return this.step.call({ q: `${this.#prefix}${String(inputs.q)}` });
  }
}

describe("program walk", () => {
  it("names predictors as DSPy does: containers one level deep, compiled sub-modules hidden", () => {
    class Tree extends Module {
      readonly a = new Predict("x -> y");
      readonly list = [new Predict("x -> y"), [new Predict("x -> y")]];
      readonly map = new Map([["k", new Predict("x -> y")]]);
      readonly record = { r: this.a };
      readonly frozen = Object.assign(new ChainOfThought("x -> y"), { compiled: true });
      readonly cot = new ChainOfThought("x -> y");
      async forward(): Promise<Prediction> {
        throw new Error("not run");
      }
    }
    const tree = new Tree();
    assert.deepEqual(
      tree.namedPredictors().map(([n]) => n),
      ["a", "list[0]", "map['k']", "cot.predict"],
    );
    const seen: string[] = [];
    walkProgram(tree, (path) => seen.push(path), { intoCompiled: true });
    assert.ok(seen.includes("frozen.predict"), "preparation goes into compiled modules");
    assert.deepEqual(
      new Predict("x -> y").namedPredictors().map(([n]) => n),
      ["self"],
    );
  });

  it("a module's [MEMBERS]() replaces its properties in names, state and copies", () => {
    class Hidden extends Module {
      readonly inner = new Predict("x -> y");
      [MEMBERS](): Iterable<[string, unknown]> {
        return [["renamed", this.inner]];
      }
      async forward(): Promise<Prediction> {
        throw new Error("not run");
      }
    }
    const h = new Hidden();
    assert.deepEqual(Object.keys(h.dumpState()), ["renamed"]);
    const copy = copyProgram(h);
    assert.notEqual(copy.inner, h.inner);
    assert.deepEqual(Object.keys(copy.dumpState()), ["renamed"]);
  });

  it("copies BestOfN and Refine with their reward functions; copies run and do not share demos", async () => {
    const program = new Attempts();
    const copy = copyProgram(program);
    assert.notEqual(copy.best.module, program.best.module);
    (copy.best.module as unknown as Predict).demos.push({ q: "d", a: "yes" });
    assert.equal((program.best.module as unknown as Predict).demos.length, 0);
    const lm = new ScriptedLM([{ a: "no" }, { a: "yes" }, { reasoning: "r", a: "yes" }]);
    const pred = await context({ lm, cache: false }, () => copy.call({ q: "?" }));
    assert.equal(pred.a, "yes");
    assert.equal(lm.requests.length, 3, "BestOfN's reward function was carried: it asked for a second attempt");
  });

  it("copies ReAct (symbol-keyed tools) without asking Python", () => {
    const react = new ReAct("q -> a", { tools: [{ name: "t", description: "d", fn: () => 1 }] });
    const copy = copyProgram(react);
    assert.ok(copy instanceof ReAct);
    assert.notEqual(copy, react);
    assert.deepEqual(copy.namedPredictors(), []);
  });

  it("a class with #private fields copies through its clone() hook, with the original's state", async () => {
    const program = new WithSecret(">> ");
    program.step.demos = [{ q: "d", a: "e" }];
    const copy = copyProgram(program);
    assert.notEqual(copy.step, program.step);
    assert.deepEqual(copy.step.demos, [{ q: "d", a: "e" }]);
    const lm = new ScriptedLM([{ a: "ok" }]);
    await context({ lm, cache: false }, () => copy.call({ q: "x" }));
    assert.match(String(lm.requests[0]!.messages.at(-1)!.content), />> x/);
  });

  it("a clone() that shares predictors with the original is refused", () => {
    class Lazy extends WithSecret {
      override clone(): WithSecret {
        return this;
      }
    }
    assert.throws(() => copyProgram(new Lazy("")), ConfigurationError);
  });

  it("prepareProgram calls prepare() once per module, compiled ones included", async () => {
    let prepared = 0;
    class Lazy extends Module {
      async prepare(): Promise<void> {
        prepared++;
      }
      async forward(): Promise<Prediction> {
        throw new Error("not run");
      }
    }
    class Outer extends Module {
      readonly a = new Lazy();
      readonly b = [this.a, Object.assign(new Lazy(), { compiled: true })];
      async forward(): Promise<Prediction> {
        throw new Error("not run");
      }
    }
    await prepareProgram(new Outer());
    assert.equal(prepared, 2);
  });
});
