"""Times DSPy's cache hits (dspy.clients.cache.Cache), for bench/p5-cache.ts.

Reads a JSON config on stdin: {"messages": [...], "iterations": N, "runs": R, "batch": B, "warmup": W}.
Prints one JSON object: {"version": "...", "memory": [p50_us per run], "disk": [p50_us per run]}.

Each lookup is what a DSPy LM call does on a hit: Cache.get(request), which derives the key
(orjson + sha256) and returns a deep copy of the stored litellm ModelResponse with usage cleared.
"""

import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import

import dspy  # noqa: E402
import litellm  # noqa: E402
from dspy.clients.cache import Cache  # noqa: E402


def p50_per_op(cache, request, iterations, batch, warmup):
    for _ in range(warmup):
        cache.get(request)
    samples = []
    done = 0
    while done < iterations:
        start = time.perf_counter_ns()
        for _ in range(batch):
            hit = cache.get(request)
        samples.append((time.perf_counter_ns() - start) / batch / 1000.0)
        done += batch
    assert hit is not None, "expected a cache hit"
    return statistics.median(samples)


def main():
    config = json.load(sys.stdin)
    # The request as dspy.LM builds it for litellm_completion, plus the function identifier that
    # request_cache adds before the lookup.
    request = {
        "model": "openai/gpt-4o-mini",
        "messages": config["messages"],
        "temperature": 0.0,
        "max_tokens": 4000,
        "_fn_identifier": "dspy.clients.lm.litellm_completion",
    }
    value = litellm.ModelResponse(
        model="gpt-4o-mini",
        choices=[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": config["answer"]}}],
        usage={"prompt_tokens": 180, "completion_tokens": 12, "total_tokens": 192},
    )
    iterations, runs, batch, warmup = config["iterations"], config["runs"], config["batch"], config["warmup"]

    out = {"version": dspy.__version__, "memory": [], "disk": []}
    memory = Cache(enable_disk_cache=False, enable_memory_cache=True, disk_cache_dir=None)
    memory.put(request, value)
    with tempfile.TemporaryDirectory(prefix="dspex-p5-") as tmp:
        disk = Cache(enable_disk_cache=True, enable_memory_cache=False, disk_cache_dir=tmp)
        disk.put(request, value)
        for _ in range(runs):
            out["memory"].append(p50_per_op(memory, request, iterations, batch, warmup))
            out["disk"].append(p50_per_op(disk, request, max(iterations // 4, batch), batch, warmup // 4))
        disk.disk_cache.close()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
