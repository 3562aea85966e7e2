"""retrievers: DSPy's Embeddings with an embedder that asks Node (here a recorder) for vectors."""

from typing import Any

import numpy as np
import pytest

from dspex_worker import retrievers
from dspex_worker.context import CallContext

CORPUS = ["red apple", "green pear", "red car"]
VOCAB = ["red", "apple", "green", "pear", "car"]


class Node:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __call__(self, name: str, args: Any = None, timeout: float | None = None) -> Any:
        self.calls.append((name, args["token"], len(args["texts"])))
        return [[float(w in t.split()) for w in VOCAB] for t in args["texts"]]


def ctx(session: dict[str, Any] | None) -> CallContext:
    return CallContext(1, "test", None, session)  # type: ignore[arg-type]


def test_embeddings_session_embeds_once_and_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    node = Node()
    monkeypatch.setattr(retrievers, "call_node", node)
    session: dict[str, Any] = {}
    info = retrievers.embeddings_open({"token": "tok", "corpus": CORPUS, "k": 2}, ctx(session))
    assert info == {"size": 3, "dim": 5}
    found = retrievers.embeddings_search({"query": "red apple"}, ctx(session))
    assert found["passages"][0] == "red apple"
    assert found["indices"][0] == 0
    assert found["scores"][0] == pytest.approx(1.0)
    one = retrievers.embeddings_search({"query": "pear", "k": 1}, ctx(session))
    assert one["passages"] == ["green pear"]
    assert node.calls == [("dspex.embed", "tok", 3), ("dspex.embed", "tok", 1), ("dspex.embed", "tok", 1)]


def test_embeddings_need_a_session() -> None:
    with pytest.raises(RuntimeError, match="session"):
        retrievers.embeddings_open({"token": "t", "corpus": CORPUS}, ctx(None))
    with pytest.raises(RuntimeError, match="open it first"):
        retrievers.embeddings_search({"query": "x"}, ctx({}))


def test_node_embedder_checks_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrievers, "call_node", lambda name, args, timeout=None: [[1.0, 2.0]])
    embed = retrievers.NodeEmbedder("t")
    assert embed(["a"]).dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        embed(["a", "b"])
