"""The `optimize.*` tools: run a real DSPy optimizer on a TS program, and run a kept program.

Node sends `{run, optimizer, init, compile, program, ...}` where `init`/`compile` are the
optimizer's constructor and compile keyword arguments, with references (`{"$": "metric"}`,
`{"$": "lm", "role": "teacher"}`, ...) for what only exists here. The optimized state comes
back in DSPy's save format (`dump_state()`).
"""

from __future__ import annotations

import uuid
from typing import Any

import dspy

from ..context import CallContext
from ..registry import tool
from . import runs
from .lms import RunLM
from .metric import make_metric
from .program import ProgramProxy, fields_of, predictor_state
from .progress import Progress, logging_to

EMBED_CALLBACK = "optimize.embed"

OPTIMIZERS: dict[str, Any] = {
    "LabeledFewShot": dspy.LabeledFewShot,
    "BootstrapFewShot": dspy.BootstrapFewShot,
    "BootstrapFewShotWithRandomSearch": dspy.BootstrapFewShotWithRandomSearch,
    "KNNFewShot": dspy.KNNFewShot,
    "COPRO": dspy.COPRO,
    "MIPROv2": dspy.MIPROv2,
    "SIMBA": dspy.SIMBA,
    "GEPA": dspy.GEPA,
    "Ensemble": dspy.Ensemble,
}

# Optimizers whose compile() takes no trainset keyword.
NO_TRAINSET = {"KNNFewShot", "Ensemble"}


class NodeEmbedder:
    """The callable behind dspy.Embedder: texts go to Node's embedder, vectors come back."""

    def __init__(self, run: str) -> None:
        self.run = run

    def __call__(self, texts: list[str], **_: Any) -> list[list[float]]:
        run = runs.current(self.run)
        vectors = runs.node(run, EMBED_CALLBACK, {"texts": list(texts)})
        return [list(map(float, v)) for v in vectors]


def examples(records: list[dict[str, Any]] | None) -> list[dspy.Example] | None:
    if records is None:
        return None
    return [dspy.Example(**r["fields"]).with_inputs(*r["inputs"]) for r in records]


class Refs:
    def __init__(self, run: str, args: dict[str, Any]) -> None:
        self.run = run
        self.lms = {role: RunLM(run, role) for role in args.get("lms") or ["task"]}
        self.metric = make_metric(run, args.get("metric"))
        self.trainset = examples(args.get("trainset"))
        self.valset = examples(args.get("valset"))
        self.program = ProgramProxy(run, 0, args["program"]) if args.get("program") else None
        self.programs = [ProgramProxy(run, i, p) for i, p in enumerate(args.get("programs") or [])]
        self.teacher = ProgramProxy(run, "teacher", args["teacher"]) if args.get("teacher") else None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        ref = value.get("$")
        if ref is None:
            return {k: self.resolve(v) for k, v in value.items()}
        if ref == "lm":
            return self.lms[value["role"]]
        if ref == "metric":
            return self.metric
        if ref == "trainset":
            return self.trainset
        if ref == "valset":
            return self.valset
        if ref == "teacher":
            return self.teacher
        if ref == "embedder":
            return dspy.Embedder(NodeEmbedder(self.run), caching=False)
        if ref == "majority":
            return dspy.majority
        raise ValueError(f"unknown reference {ref!r}")


def _scores(compiled: Any) -> dict[str, Any]:
    scores: dict[str, Any] = {}
    after = getattr(compiled, "score", None)
    if isinstance(after, (int, float)):
        scores["after"] = float(after)
    candidates = getattr(compiled, "candidate_programs", None)
    if isinstance(candidates, list):
        values = [float(c["score"]) for c in candidates if isinstance(c, dict) and "score" in c]
        if values:
            scores["candidates"] = values
            scores.setdefault("after", max(values))
    trial_logs = getattr(compiled, "trial_logs", None)
    if isinstance(trial_logs, dict) and isinstance(trial_logs.get(1), dict):
        first = trial_logs[1].get("full_eval_score")
        if isinstance(first, (int, float)):
            scores["before"] = float(first)  # MIPROv2's trial 1 is the unoptimized program
    details = getattr(compiled, "detailed_results", None)
    aggregate = getattr(details, "val_aggregate_scores", None)
    if isinstance(aggregate, list) and aggregate:
        scores["candidates"] = [float(s) for s in aggregate]
        scores["before"] = float(aggregate[0])  # GEPA's candidate 0 is the seed program
        scores["after"] = float(aggregate[getattr(details, "best_idx", 0)])
        pareto = _pareto(details)
        if pareto is not None:
            scores["pareto"] = pareto
    return scores


def _pareto(details: Any) -> dict[str, Any] | None:
    """GEPA's Pareto front over the validation instances: who is best where, and the lineage."""
    best = getattr(details, "per_val_instance_best_candidates", None)
    subscores = getattr(details, "val_subscores", None)
    if not isinstance(best, dict) or not isinstance(subscores, list):
        return None
    instances = sorted(best.keys(), key=lambda k: (str(type(k)), k))
    return {
        "instances": [i if isinstance(i, (int, str)) else str(i) for i in instances],
        "subscores": [[_number(s.get(i)) for i in instances] for s in subscores if isinstance(s, dict)],
        "best": [sorted(int(c) for c in best[i]) for i in instances],
        "parents": [[p if isinstance(p, int) else None for p in (ps or [])] for ps in getattr(details, "parents", [])],
        "discoveryEvalCounts": [int(c) for c in getattr(details, "discovery_eval_counts", [])],
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _evaluate(program: Any, devset: list[dspy.Example], metric: Any, threads: int | None) -> float:
    evaluator = dspy.Evaluate(devset=devset, metric=metric, num_threads=threads, display_progress=False)
    return float(evaluator(program).score)


def _state(compiled: Any) -> dict[str, Any] | None:
    if isinstance(compiled, ProgramProxy) or hasattr(compiled, "named_parameters"):
        try:
            return {name: predictor_state(p) for name, p in compiled.named_parameters() if isinstance(p, dspy.Predict)}
        except Exception:
            return None
    return None


@tool("optimize.run")
def optimize_run(args: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    run = str(args["run"])
    name = str(args["optimizer"])
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(sorted(OPTIMIZERS))})")
    with runs.active(run, ctx) as entry:
        refs = Refs(run, args)
        progress = Progress(run)
        callbacks = [*(dspy.settings.get("callbacks") or []), progress]
        scores: dict[str, Any] = {}
        evaluate = args.get("evaluate")
        with dspy.context(lm=refs.lms["task"], dspex_run=run, callbacks=callbacks), logging_to(progress):
            devset = examples(evaluate.get("devset")) if evaluate else None
            threads = evaluate.get("numThreads") if evaluate else None
            if devset and refs.program is not None and refs.metric is not None:
                scores["before"] = _evaluate(refs.program, devset, refs.metric, threads)
            progress.send(f"{name}: started")
            optimizer = OPTIMIZERS[name](**refs.resolve(args.get("init") or {}))
            compile_kwargs = refs.resolve(args.get("compile") or {})
            if name == "Ensemble":
                compiled = optimizer.compile(refs.programs)
            elif name in NO_TRAINSET:
                compiled = optimizer.compile(refs.program, **compile_kwargs)
            else:
                compiled = optimizer.compile(refs.program, trainset=refs.trainset, **compile_kwargs)
            found = _scores(compiled)
            if devset and refs.metric is not None:
                if "before" in scores:
                    found.pop("before", None)
                found["after"] = _evaluate(compiled, devset, refs.metric, threads)
            scores.update(found)
            progress.send(f"{name}: finished", scores.get("after"))
        handle = None
        if args.get("keep"):
            if ctx.session is None:
                raise ValueError("keep needs a session: the compiled program lives in the session's worker")
            handle = uuid.uuid4().hex
            ctx.session.setdefault("dspex_programs", {})[handle] = compiled
        return {
            "state": _state(compiled),
            "scores": scores,
            "trials": progress.trial if progress.trial is not None else progress.evaluations,
            "evaluations": progress.evaluations,
            "lmCalls": dict(entry.lm_calls),
            "programCalls": entry.program_calls,
            "metricCalls": entry.metric_calls,
            "handle": handle,
        }


@tool("optimize.forward")
def optimize_forward(args: dict[str, Any], ctx: CallContext) -> Any:
    """Runs a program kept by `optimize.run` (KNNFewShot's, Ensemble's) on one input."""
    run = str(args["run"])
    kept = (ctx.session or {}).get("dspex_programs", {}).get(args["handle"])
    if kept is None:
        raise LookupError("this compiled program is gone (its session was closed or lost)")
    with runs.active(run, ctx) as entry:
        with dspy.context(lm=RunLM(run, "task"), dspex_run=run):
            output = kept(**args["inputs"])
        result = [fields_of(o) for o in output] if isinstance(output, list) else fields_of(output)
        return {"prediction": result, "lmCalls": dict(entry.lm_calls), "programCalls": entry.program_calls}


@tool("optimize.release")
def optimize_release(args: dict[str, Any], ctx: CallContext) -> bool:
    return (ctx.session or {}).get("dspex_programs", {}).pop(args["handle"], None) is not None
