"""DSPy's own retrievers for Node: dspy.ColBERTv2 over HTTP and dspy.retrievers.Embeddings with an
embedder served by Node (callback `dspex.embed`, routed by the retriever's token).

An Embeddings retriever embeds its corpus once, so it lives in a session (pinned to one worker);
ColBERTv2 is stateless and runs on any worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .channel import call_node
from .context import CallContext
from .dspy_values import jsonable
from .registry import tool

if TYPE_CHECKING:
    import numpy as np

EMBED_CALLBACK = "dspex.embed"


class NodeEmbedder:
    """The callable DSPy's Embeddings wants: texts -> 2-D float array, computed in Node."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, texts: list[str]) -> np.ndarray:
        # Imported here, not with the module: numpy was about a seventh of every pool's start
        # (the fork server preloads this module for all shared pools; bench P8, whole process).
        import numpy as np

        vectors = call_node(EMBED_CALLBACK, {"token": self.token, "texts": list(texts)})
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2 or array.shape[0] != len(texts):
            raise ValueError(f"Node's embedder returned shape {array.shape} for {len(texts)} texts")
        return array


@tool("dspex.retrieve.colbertv2")
def colbertv2(args: dict[str, Any], ctx: CallContext) -> list[dict[str, Any]]:
    import dspy

    rm = dspy.ColBERTv2(url=str(args["url"]), post_requests=bool(args.get("post", False)))
    return [jsonable(p) for p in rm(str(args["query"]), k=int(args.get("k", 10)))]


@tool("dspex.retrieve.embeddings.open")
def embeddings_open(args: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    from dspy.retrievers import Embeddings

    if ctx.session is None:
        raise RuntimeError("an Embeddings retriever needs a session: its corpus embeddings live there")
    corpus = [str(p) for p in args["corpus"]]
    retriever = Embeddings(
        corpus=corpus,
        embedder=NodeEmbedder(str(args["token"])),
        k=int(args.get("k", 5)),
        normalize=bool(args.get("normalize", True)),
        brute_force_threshold=int(args.get("brute_force_threshold", 20_000)),
    )
    ctx.session["embeddings"] = retriever
    return {"size": len(corpus), "dim": int(retriever.corpus_embeddings.shape[1])}


@tool("dspex.retrieve.embeddings.search")
def embeddings_search(args: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
    retriever = (ctx.session or {}).get("embeddings")
    if retriever is None:
        raise RuntimeError("this session has no Embeddings retriever (open it first)")
    # DSPy returns top-k by its own k; a smaller k is a prefix of that ranking.
    passages, indices, scores = retriever.search_fn(str(args["query"]))
    k = int(args.get("k", retriever.k))
    return {"passages": list(passages[:k]), "indices": [int(i) for i in indices[:k]], "scores": jsonable(scores[:k])}
