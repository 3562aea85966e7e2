"""Python half of the JSON-vs-MessagePack measurement for bench/p2-bridge.ts.

Prints one JSON object: per payload size, encode+decode of a result frame in microseconds
with stdlib json, orjson (a DSPy dependency) and msgpack.
"""

import json
import sys
import time

import msgpack
import orjson


def message(n: int) -> dict:
    return {"k": "result", "id": 123456, "value": {"text": "x" * n, "n": 42, "list": [1, 2, 3]}}


def timed(fn, iters: int) -> float:
    for _ in range(max(1, iters // 10)):
        fn()
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        runs.append((time.perf_counter() - start) / iters * 1e6)
    runs.sort()
    return runs[len(runs) // 2]


def main() -> None:
    out = {}
    for n in (100, 100_000):
        m = message(n)
        iters = 20_000 if n <= 100 else 500
        out[str(n)] = {
            "json": timed(lambda: json.loads(json.dumps(m, separators=(",", ":")).encode()), iters),
            "orjson": timed(lambda: orjson.loads(orjson.dumps(m)), iters),
            "msgpack": timed(lambda: msgpack.unpackb(msgpack.packb(m, use_bin_type=True)), iters),
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
