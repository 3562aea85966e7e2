import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { PythonPool } from "../../../src/bridge/index.js";
import { PythonError } from "../../../src/bridge/errors.js";
import { ScriptedLM } from "../../../src/lm/providers/scripted.js";
import { UsageTracker } from "../../../src/lm/usage.js";
import { Module } from "../../../src/modules/module.js";
import { ChainOfThought } from "../../../src/modules/chain-of-thought.js";
import { Prediction } from "../../../src/modules/prediction.js";
import { context, type TraceEntry } from "../../../src/runtime/settings.js";
import { MultiChainComparison } from "../../../src/modules/python/multi-chain-comparison.js";
import { ProgramOfThought } from "../../../src/modules/python/program-of-thought.js";
import { PythonChainOfThought, PythonPredict } from "../../../src/modules/python/predict.js";
import { preparePythonModules } from "../../../src/modules/python/python-module.js";
import { ReAct } from "../../../src/modules/python/react.js";
import { findDeno } from "../../../src/modules/python/deno.js";
import { SandboxUnavailableError, ToolDefinitionError } from "../../../src/modules/python/errors.js";
import { collectingLogger } from "../../bridge/helpers.js";
import { contentText } from "../../../src/lm/compat.js";

/** Real DSPy 3.4.1 modules in a worker; every LM call is answered by a ScriptedLM in Node. */
describe("Python-backed modules", () => {
  let pool: PythonPool;
  before(async () => {
    pool = await PythonPool.start({
      name: "py-modules",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      logger: collectingLogger(),
    });
  });
  after(() => pool.close());

  it("ReAct calls a TypeScript tool, then finishes and extracts the answer", async () => {
    const calls: unknown[] = [];
    const react = new ReAct("question -> answer", {
      pool,
      tools: [
        {
          name: "get_weather",
          description: "Weather in a city",
          parameters: z.object({ city: z.string().describe("the city") }),
          fn: ({ city }: { city: string }) => {
            calls.push(city);
            return `sunny in ${city}`;
          },
        },
      ],
    });
    const lm = new ScriptedLM([
      { next_thought: "look it up", next_tool_name: "get_weather", next_tool_args: { city: "Tokyo" } },
      { next_thought: "done", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "the tool said sunny", answer: "Sunny" },
    ]);
    const usage = new UsageTracker();
    const trace: TraceEntry[] = [];
    const pred = await context({ lm, trace, usage }, () => react.call({ question: "Weather in Tokyo?" }));

    assert.deepEqual(calls, ["Tokyo"]);
    assert.equal(pred.answer, "Sunny");
    const trajectory = pred.trajectory as Record<string, unknown>;
    assert.equal(trajectory.observation_0, "sunny in Tokyo");
    assert.deepEqual(trajectory.tool_args_0, { city: "Tokyo" });
    assert.equal(trajectory.tool_name_1, "finish");
    // DSPy's prompt lists the TypeScript tool with its schema.
    assert.match(
      contentText(lm.requests[0]?.messages[0]?.content ?? ""),
      /\(1\) get_weather, whose description is <desc>Weather in a city<\/desc>/,
    );
    assert.equal(lm.requests.length, 3);
    // Every LM call made in Python was counted in Node.
    assert.equal(usage.total.calls, 3);
    assert.ok(usage.total.promptTokens > 0);
    // DSPy's predictor calls land in our trace, on mirrors named as DSPy names them.
    assert.deepEqual(
      react.namedPredictors().map(([n]) => n),
      ["react", "extract.predict"],
    );
    assert.deepEqual(
      trace.map((t) => react.namedPredictors().find(([, p]) => p === t.predictor)?.[0]),
      ["react", "react", "extract.predict"],
    );
    assert.equal(trace[2]?.prediction.answer, "Sunny");
  });

  it("ReAct reports a tool's error to the LM as an observation and validates arguments in Node", async () => {
    const react = new ReAct("question -> answer", {
      pool,
      maxIters: 3,
      tools: [
        {
          name: "lookup",
          description: "Look something up",
          parameters: { type: "object", properties: { key: { type: "string" } }, required: ["key"] },
          fn: () => {
            throw new Error("database offline");
          },
        },
      ],
    });
    const lm = new ScriptedLM([
      { next_thought: "try", next_tool_name: "lookup", next_tool_args: { key: "x" } },
      { next_thought: "give up", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "no data", answer: "unknown" },
    ]);
    const pred = await context({ lm }, () => react.call({ question: "?" }));
    const trajectory = pred.trajectory as Record<string, string>;
    assert.match(trajectory.observation_0 ?? "", /Execution error in lookup/);
    assert.match(trajectory.observation_0 ?? "", /database offline/);
    assert.equal(pred.answer, "unknown");
  });

  it("rejects tool definitions Python could not call", () => {
    assert.throws(
      () => new ReAct("q -> a", { pool, tools: [{ name: "finish", description: "", fn: () => 1 }] }),
      ToolDefinitionError,
    );
    assert.throws(
      () => new ReAct("q -> a", { pool, tools: [{ name: "bad name", description: "", fn: () => 1 }] }),
      ToolDefinitionError,
    );
  });

  it("ReAct works inside a TypeScript program, next to a native module, and its state saves in DSPy's format", async () => {
    class Program extends Module<{ question: string }> {
      readonly agent = new ReAct("question -> answer", {
        pool,
        tools: [{ name: "echo", description: "Echo", fn: (a: Record<string, unknown>) => JSON.stringify(a) }],
      });
      readonly polish = new ChainOfThought("answer -> final");
      async forward(inputs: { question: string }): Promise<Prediction> {
        const first = await this.agent.call(inputs);
        return this.polish.call({ answer: first.answer });
      }
    }
    const program = new Program();
    const lm = new ScriptedLM([
      { next_thought: "done", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "r", answer: "42" },
      { reasoning: "polish", final: "Forty-two" },
    ]);
    const pred = await context({ lm }, () => program.call({ question: "?" }));
    assert.equal(pred.final, "Forty-two");
    assert.deepEqual(
      program.namedPredictors().map(([n]) => n),
      ["agent.react", "agent.extract.predict", "polish.predict"],
    );
    const dir = await mkdtemp(join(tmpdir(), "dspex-react-"));
    try {
      const path = join(dir, "program.json");
      program.agent.namedPredictors()[0]?.[1].loadState({
        ...(program.agent.dumpState().react as Record<string, unknown>),
        demos: [{ question: "q0", trajectory: "t0", next_thought: "x", next_tool_name: "finish", next_tool_args: {} }],
      } as Record<string, unknown>);
      await program.save(path);
      const saved = JSON.parse(await readFile(path, "utf8"));
      assert.equal(saved["agent.react"].demos.length, 1);
      assert.match(saved["agent.react"].signature.instructions, /You are an Agent/);
      // The demo we set in Node reaches DSPy's prompt.
      const lm2 = new ScriptedLM([
        { next_thought: "done", next_tool_name: "finish", next_tool_args: {} },
        { reasoning: "r", answer: "1" },
        { reasoning: "p", final: "one" },
      ]);
      await context({ lm: lm2 }, () => program.call({ question: "again" }));
      assert.match(lm2.requests[0]?.messages.map((m) => contentText(m.content)).join("\n") ?? "", /q0/);
      // A fresh program loads the saved state before it has ever run.
      const fresh = new Program();
      await preparePythonModules(fresh);
      await fresh.load(path);
      assert.equal((fresh.agent.dumpState().react as { demos: unknown[] }).demos.length, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a state loaded into a program whose Python module has not run yet reaches that module", async () => {
    // What an optimizer does with a factory: a fresh program, loadState, then a run.
    class Program extends Module<{ question: string }> {
      readonly refine = new PythonChainOfThought("question -> query", { pool });
      readonly answer = new ChainOfThought("question, query -> answer");
      async forward(inputs: { question: string }): Promise<Prediction> {
        const r = await this.refine.call(inputs);
        return this.answer.call({ question: inputs.question, query: String(r.query) });
      }
    }
    const trained = new Program();
    await preparePythonModules(trained);
    const demo = { augmented: true, question: "q0", reasoning: "r0", query: "demo-query-0" };
    const [, refinePredict] = trained.namedPredictors().find(([n]) => n === "refine.predict")!;
    refinePredict.loadState({ ...refinePredict.dumpState(), demos: [demo] });
    const state = trained.dumpState();

    const fresh = new Program();
    assert.deepEqual(
      fresh.namedPredictors().map(([n]) => n),
      ["answer.predict"],
      "before its first call the Python module shows no predictors",
    );
    fresh.loadState(state);
    // Held until the predictors are known, and still part of the program's state meanwhile.
    assert.deepEqual((fresh.dumpState()["refine.predict"] as { demos: unknown[] }).demos, [demo]);
    const lm = new ScriptedLM([
      { reasoning: "r", query: "q" },
      { reasoning: "r", answer: "a" },
    ]);
    await context({ lm }, () => fresh.call({ question: "q1" }));
    assert.match(contentText(lm.requests[0]?.messages[1]?.content ?? ""), /q0/, "the demo reaches DSPy's prompt");
    assert.deepEqual((fresh.dumpState()["refine.predict"] as { demos: unknown[] }).demos, [demo]);
  });

  it("MultiChainComparison compares m attempts with DSPy's prompt", async () => {
    const mcc = new MultiChainComparison("question -> answer", { pool, m: 2 });
    const lm = new ScriptedLM([{ rationale: "both say 4", answer: "4" }]);
    const completions = [
      new Prediction({ reasoning: "2+2 is 4", answer: "4" }),
      { reasoning: "two and two make four", answer: "four" },
    ];
    const pred = await context({ lm }, () => mcc.call({ question: "2+2?", completions }));
    assert.equal(pred.answer, "4");
    assert.equal(pred.rationale, "both say 4");
    const user = contentText(lm.requests[0]?.messages.at(-1)?.content ?? "");
    assert.match(user, /«I'm trying to 2\+2 is 4 I'm not sure but my prediction is 4»/);
    assert.match(user, /reasoning_attempt_2 ## \]\]\n«I'm trying to two and two make four/);
    assert.equal(lm.requests[0]?.temperature, 0.7);
  });

  it("MultiChainComparison refuses the wrong number of attempts with DSPy's error, typed", async () => {
    const mcc = new MultiChainComparison("question -> answer", { pool, m: 3 });
    const lm = new ScriptedLM([{ rationale: "r", answer: "a" }]);
    await assert.rejects(
      context({ lm }, () => mcc.call({ question: "?", completions: [{ reasoning: "r", answer: "a" }] })),
      (e: unknown) =>
        e instanceof PythonError && e.pythonType === "AssertionError" && /expected number M/.test(e.message),
    );
  });

  it("runs dspy.Predict and dspy.ChainOfThought in the pool (the router's python path)", async () => {
    const lm = new ScriptedLM([{ answer: "Paris" }, { reasoning: "capital", answer: "Rome" }]);
    const predict = new PythonPredict("question -> answer", { pool });
    const cot = new PythonChainOfThought("question -> answer", { pool });
    const a = await context({ lm }, () => predict.call({ question: "France?" }));
    const b = await context({ lm }, () => cot.call({ question: "Italy?" }));
    assert.equal(a.answer, "Paris");
    assert.equal(b.answer, "Rome");
    assert.equal(b.reasoning, "capital");
    assert.deepEqual(
      predict.namedPredictors().map(([n]) => n),
      ["self"],
    );
    assert.deepEqual(
      cot.namedPredictors().map(([n]) => n),
      ["predict"],
    );
  });

  it("ProgramOfThought without a Deno binary throws SandboxUnavailableError and runs nothing", async () => {
    const pot = new ProgramOfThought("question -> answer", { pool, deno: "/nonexistent/deno" });
    const lm = new ScriptedLM([]);
    await assert.rejects(
      context({ lm }, () => pot.call({ question: "1+1?" })),
      (e: unknown) => e instanceof SandboxUnavailableError && /deno/i.test(e.fix ?? ""),
    );
    assert.equal(lm.requests.length, 0);
  });

  const deno = findDeno();
  it("ProgramOfThought runs generated code in DSPy's Deno sandbox", {
    skip: deno ? false : "no Deno binary",
  }, async () => {
    const pot = new ProgramOfThought("question -> answer", { pool });
    const lm = new ScriptedLM([
      {
        reasoning: "multiply",
        generated_code:
          "```python\nimport os\nprint(6 * 7, 'DSPEX_PARENT_PID' in os.environ, os.path.exists('/work'))\n```",
      },
      { reasoning: "the code printed 42", answer: "42" },
    ]);
    const pred = await context({ lm }, () => pot.call({ question: "What is 6 times 7?" }));
    assert.equal(pred.answer, "42");
    const final = contentText(lm.requests[1]?.messages.at(-1)?.content ?? "");
    // The code ran inside Pyodide: the worker's environment and the host's files are out of reach.
    assert.match(final, /42 False False/);
  });
});
