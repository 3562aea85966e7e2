"""Pure DSPy's side of bench/p8-optimize.ts: the same two-predictor program optimized by the
same optimizer against the same loopback OpenAI-compatible server, with dspy.LM, cache off.

Reads {"url", "model", "optimizer": "bootstrap"|"mipro", "threads", "train": [[question, answer], ...]}
on stdin; prints {"version", "phaseMs"} (compile() alone). The parent times the whole process.
"""

import json
import logging
import os
import sys
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import

import dspy  # noqa: E402

logging.getLogger("dspy").setLevel(logging.ERROR)
logging.getLogger("optuna").setLevel(logging.ERROR)


class CapitalQA(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.keywords = dspy.Predict("question -> keywords")
        self.answer = dspy.ChainOfThought("question, keywords -> answer")

    def forward(self, question: str) -> dspy.Prediction:
        keywords = self.keywords(question=question).keywords
        return self.answer(question=question, keywords=keywords)


def metric(example, prediction, trace=None) -> bool:
    return example.answer == prediction.answer


def main() -> None:
    config = json.load(sys.stdin)
    lm = dspy.LM(f"openai/{config['model']}", api_base=config["url"], api_key="x", cache=False, num_retries=0)
    dspy.configure(lm=lm, adapter=dspy.ChatAdapter())
    train = [dspy.Example(question=q, answer=a).with_inputs("question") for q, a in config["train"]]
    program = CapitalQA()
    start = time.perf_counter()
    if config["optimizer"] == "bootstrap":
        optimizer = dspy.BootstrapFewShot(metric=metric, max_bootstrapped_demos=2, max_labeled_demos=2)
        optimizer.compile(program, trainset=train)
    else:
        optimizer = dspy.MIPROv2(
            metric=metric,
            auto="light",
            num_threads=config["threads"],
            max_bootstrapped_demos=1,
            max_labeled_demos=1,
        )
        optimizer.compile(program, trainset=train, program_aware_proposer=False)
    phase = (time.perf_counter() - start) * 1000
    print(json.dumps({"version": dspy.__version__, "phaseMs": phase}))


if __name__ == "__main__":
    main()
