"""Times DSPy's Evaluate against an OpenAI-compatible server, for bench/p4-evaluate.ts.

Reads a JSON config on stdin: {"url": ".../v1", "model": "...", "n": N, "threads": T, "runs": R, "warmup": W}.
Prints one JSON object: {"version": "...", "walls_ms": [...], "score": S}.

The program is dspy.Predict("question -> answer") with ChatAdapter, the LM dspy.LM("openai/<model>")
with the cache off, and the metric dspy.evaluate.answer_exact_match: the same work our side does.
"""

import json
import logging
import os
import statistics
import sys
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import

import dspy  # noqa: E402
from dspy.evaluate import answer_exact_match  # noqa: E402

logging.getLogger("dspy").setLevel(logging.ERROR)


def main():
    config = json.load(sys.stdin)
    lm = dspy.LM(f"openai/{config['model']}", api_base=config["url"], api_key="x", cache=False, num_retries=0)
    dspy.configure(lm=lm, adapter=dspy.ChatAdapter())
    program = dspy.Predict("question -> answer")

    def devset(n):
        return [dspy.Example(question=f"q{i}", answer=f"a{i}").with_inputs("question") for i in range(n)]

    evaluate = dspy.Evaluate(
        devset=devset(config["n"]),
        metric=answer_exact_match,
        num_threads=config["threads"],
        display_progress=False,
        display_table=False,
    )
    evaluate(program, devset=devset(config["warmup"]))
    walls = []
    score = None
    for _ in range(config["runs"]):
        start = time.perf_counter()
        result = evaluate(program)
        walls.append((time.perf_counter() - start) * 1000)
        score = result.score
    print(json.dumps({"version": dspy.__version__, "walls_ms": walls, "median_ms": statistics.median(walls), "score": score}))


if __name__ == "__main__":
    main()
