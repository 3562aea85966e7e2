"""P1 baseline: per-call overhead of DSPy's Predict with DummyLM (format, LM stub, parse).

Prints one JSON object: {"runs_us": [median µs/call of each run], "version": "..."}.
"""
import json
import statistics
import sys
import time

import dspy
from dspy.utils.dummies import DummyLM

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5

sig = "question: str, context: list[str] -> answer: str, confidence: float"
predict = dspy.Predict(sig)
answers = [{"answer": "Paris", "confidence": "0.9"}] * (CALLS * (RUNS + 1) + 10)
dspy.configure(lm=DummyLM(answers))

def one_run(n: int) -> float:
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        predict(question=f"What is the capital of France? #{i}", context=["France is in Europe.", "Paris is big."])
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6

one_run(max(20, CALLS // 5))  # warm-up
print(json.dumps({"runs_us": [one_run(CALLS) for _ in range(RUNS)], "version": dspy.__version__}))
