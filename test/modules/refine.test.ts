import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChatAdapter } from "../../src/adapters/chat.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { NoSuccessfulAttemptError } from "../../src/modules/best-of-n.js";
import { ChainOfThought } from "../../src/modules/chain-of-thought.js";
import type { Fields } from "../../src/modules/example.js";
import { Module } from "../../src/modules/module.js";
import { Predict } from "../../src/modules/predict.js";
import type { Prediction } from "../../src/modules/prediction.js";
import { dumpJSON, inspectModules, offerFeedbackSignature, Refine } from "../../src/modules/refine.js";
import { context, type TraceEntry } from "../../src/runtime/settings.js";
import { Signature } from "../../src/signature/signature.js";
import { contentText } from "../../src/lm/compat.js";

/**
 * Produced by DSPy 3.4.1: `inspect_modules(ChainOfThought("question, context: list[str] -> answer: int"))`,
 * the system message ChatAdapter formats for OfferFeedback, and the messages for
 * `Signature("question -> answer").append("hint_", InputField(desc=...))` with a hint.
 */
const DSPY = {
  inspect:
    "--------------------------------------------------------------------------------\nModule predict\n\tInput Fields:\n\t\t1. `question` (str): \n\t\t2. `context` (list[str]):\n\tOutput Fields:\n\t\t1. `reasoning` (str): \n\t\t2. `answer` (int):\n\tOriginal Instructions: \n\t\tGiven the fields `question`, `context`, produce the fields `answer`.\n--------------------------------------------------------------------------------",
  offer_system:
    'Your input fields are:\n1. `program_code` (str): The code of the program that we are analyzing\n2. `modules_defn` (str): The definition of each module in the program, including its I/O\n3. `program_inputs` (str): The inputs to the program that we are analyzing\n4. `program_trajectory` (str): The trajectory of the program\'s execution, showing each module\'s I/O\n5. `program_outputs` (str): The outputs of the program that we are analyzing\n6. `reward_code` (str): The code of the reward function that we are analyzing\n7. `target_threshold` (float): The target threshold for the reward function\n8. `reward_value` (float): The reward value assigned to the program\'s outputs\n9. `module_names` (list[str]): The names of the modules in the program, for which we seek advice\nYour output fields are:\n1. `discussion` (str): Discussing blame of where each module went wrong, if it did\n2. `advice` (dict[str, str]): For each module, describe very concretely, in this order: the specific scenarios in which it has made mistakes in the past and what each mistake was, followed by what it should do differently in that kind ofscenario in the future. If the module is not to blame, write N/A.\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## program_code ## ]]\n{program_code}\n\n[[ ## modules_defn ## ]]\n{modules_defn}\n\n[[ ## program_inputs ## ]]\n{program_inputs}\n\n[[ ## program_trajectory ## ]]\n{program_trajectory}\n\n[[ ## program_outputs ## ]]\n{program_outputs}\n\n[[ ## reward_code ## ]]\n{reward_code}\n\n[[ ## target_threshold ## ]]\n{target_threshold}\n\n[[ ## reward_value ## ]]\n{reward_value}\n\n[[ ## module_names ## ]]\n{module_names}\n\n[[ ## discussion ## ]]\n{discussion}\n\n[[ ## advice ## ]]\n{advice}        # note: the value you produce must adhere to the JSON schema: {"type": "object", "additionalProperties": {"type": "string"}}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if\n        any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if\n        it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.\n        The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you\n        to avoid the same mistake on the same or similar inputs.',
  hint_msgs: [
    {
      role: "system",
      content:
        "Your input fields are:\n1. `question` (str): \n2. `hint_` (str): A hint to the module from an earlier run\nYour output fields are:\n1. `answer` (str):\nAll interactions will be structured in the following way, with the appropriate values filled in.\n\n[[ ## question ## ]]\n{question}\n\n[[ ## hint_ ## ]]\n{hint_}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]\nIn adhering to this structure, your objective is: \n        Given the fields `question`, produce the fields `answer`.",
    },
    {
      role: "user",
      content:
        "[[ ## question ## ]]\nQ?\n\n[[ ## hint_ ## ]]\nSay good\n\nRespond with the corresponding output fields, starting with the field `[[ ## answer ## ]]`, and then ending with the marker for `[[ ## completed ## ]]`.",
    },
  ],
} as const;

const quiet = { onAttemptError: () => undefined };

describe("Refine", () => {
  it("formats OfferFeedback, the hint_ field and inspect_modules exactly as DSPy", () => {
    const adapter = new ChatAdapter();
    assert.equal(
      contentText(adapter.format(offerFeedbackSignature(), [], { program_code: "x" })[0]!.content),
      DSPY.offer_system,
    );
    assert.equal(inspectModules(new ChainOfThought("question, context: list[str] -> answer: int")), DSPY.inspect);
    const hinted = Signature.parse("question -> answer").append("hint_", "input", {
      desc: "A hint to the module from an earlier run",
    });
    assert.deepEqual(adapter.format(hinted, [], { question: "Q?", hint_: "Say good" }), DSPY.hint_msgs);
  });

  it("asks for advice after a miss and gives each predictor its hint on the next attempt", async () => {
    const lm = new ScriptedLM([
      { answer: "bad" },
      { discussion: "The module answered badly.", advice: { self: "Say good" } },
      { answer: "good" },
    ]);
    const qa = new Predict("question -> answer");
    const reward = (_inputs: Fields, pred: Prediction) => (pred.answer === "good" ? 1 : 0);
    const refine = new Refine(qa, { N: 3, rewardFn: reward, threshold: 1, ...quiet });
    const trace: TraceEntry[] = [];
    const pred = await context({ lm, trace }, () => refine.call({ question: "Q?" }));
    assert.equal(pred.answer, "good");
    assert.equal(lm.requests.length, 3);

    // Attempt 1: rollout 0 at temperature 1.0, no hint.
    assert.equal(lm.requests[0]!.rolloutId, 0);
    assert.equal(lm.requests[0]!.temperature, 1);
    assert.doesNotMatch(contentText(lm.requests[0]!.messages.at(-1)!.content), /hint_/);

    // The feedback call: OfferFeedback with DSPy's inputs, outside the attempt's rollout.
    const feedback = lm.requests[1]!;
    assert.equal(feedback.rolloutId, undefined);
    assert.equal(feedback.temperature, undefined);
    const expected = new ChatAdapter().format(offerFeedbackSignature(), [], {
      program_code: qa.constructor.toString(),
      modules_defn: inspectModules(qa),
      program_inputs: dumpJSON({ question: "Q?" }),
      program_trajectory: dumpJSON([{ module_name: "self", inputs: { question: "Q?" }, outputs: { answer: "bad" } }]),
      program_outputs: dumpJSON({ answer: "bad" }),
      reward_code: reward.toString(),
      target_threshold: "1.0",
      reward_value: "0.0",
      module_names: '[\n  "self"\n]',
    });
    assert.deepEqual(feedback.messages, expected);

    // Attempt 2: rollout 1 with the advice as hint_, formatted as DSPy's WrapperAdapter does.
    assert.equal(lm.requests[2]!.rolloutId, 1);
    assert.deepEqual(lm.requests[2]!.messages, DSPY.hint_msgs);

    // Only the best attempt's trace reaches the caller, with the hint among its inputs (as in DSPy).
    assert.equal(trace.length, 1);
    assert.deepEqual(trace[0]!.inputs, { question: "Q?", hint_: "Say good" });
  });

  it("routes advice by predictor name and gives N/A to predictors without advice", async () => {
    class TwoStep extends Module<{ question: string }> {
      readonly draft = new Predict("question -> draft");
      readonly polish = new ChainOfThought("draft -> answer");
      async forward(inputs: { question: string }): Promise<Prediction> {
        const d = await this.draft.call(inputs);
        return this.polish.call({ draft: d.draft });
      }
    }
    const lm = new ScriptedLM([
      { draft: "d1" },
      { reasoning: "r", answer: "a1" },
      { discussion: "polish is to blame", advice: { "polish.predict": "Be brief" } },
      { draft: "d2" },
      { reasoning: "r", answer: "a2" },
    ]);
    const refine = new Refine(new TwoStep(), { N: 2, rewardFn: () => 0, threshold: 1, ...quiet });
    const pred = await context({ lm }, () => refine.call({ question: "Q?" }));
    assert.equal(pred.answer, "a1", "a tie keeps the first best");
    assert.equal(lm.requests.length, 5, "no advice after the last attempt");
    const names = contentText(lm.requests[2]!.messages.at(-1)!.content);
    assert.match(names, /\[\[ ## module_names ## \]\]\n\[\n {2}"draft",\n {2}"polish.predict"\n\]/);
    assert.match(contentText(lm.requests[3]!.messages.at(-1)!.content), /\[\[ ## hint_ ## \]\]\nN\/A/);
    assert.match(contentText(lm.requests[4]!.messages.at(-1)!.content), /\[\[ ## hint_ ## \]\]\nBe brief/);
  });

  it("stops at the threshold without asking for advice", async () => {
    const lm = new ScriptedLM([{ answer: "good" }]);
    const refine = new Refine(new Predict("question -> answer"), { N: 3, rewardFn: () => 1, threshold: 1 });
    const pred = await context({ lm }, () => refine.call({ question: "Q?" }));
    assert.equal(pred.answer, "good");
    assert.equal(lm.requests.length, 1);
  });

  it("counts a failed feedback call as a failed attempt and keeps going", async () => {
    const errors: number[] = [];
    const lm = new ScriptedLM([{ answer: "bad" }, "not a feedback answer", "still not", { answer: "good" }]);
    const refine = new Refine(new Predict("question -> answer"), {
      N: 3,
      rewardFn: (_i, p) => (p.answer === "good" ? 1 : 0),
      threshold: 1,
      onAttemptError: (_e, attempt) => errors.push(attempt),
    });
    const pred = await context({ lm }, () => refine.call({ question: "Q?" }));
    assert.equal(pred.answer, "good");
    assert.deepEqual(errors, [1]);
    assert.doesNotMatch(contentText(lm.requests[3]!.messages.at(-1)!.content), /hint_/, "no advice, no hint");
  });

  it("throws a typed error when every attempt failed within failCount", async () => {
    const lm = new ScriptedLM(["garbage", "garbage", "garbage", "garbage"]);
    const refine = new Refine(new Predict("question -> answer"), { N: 2, rewardFn: () => 1, threshold: 1, ...quiet });
    await assert.rejects(
      context({ lm }, () => refine.call({ question: "Q?" })),
      NoSuccessfulAttemptError,
    );
  });
});
