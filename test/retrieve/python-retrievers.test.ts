import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { PythonPool } from "../../src/bridge/index.js";
import { PythonError } from "../../src/bridge/errors.js";
import { ConfigurationError } from "../../src/errors.js";
import { EmbeddingsRetriever } from "../../src/retrieve/native.js";
import { retriever } from "../../src/retrieve/python-retrievers.js";
import type { TextEmbedder } from "../../src/retrieve/retriever.js";
import { collectingLogger } from "../bridge/helpers.js";

const CORPUS = [
  "The Eiffel Tower is in Paris.",
  "Paris is the capital of France.",
  "Rome is the capital of Italy.",
  "Bananas are yellow fruit.",
  "The Colosseum stands in Rome.",
];

/** A small real embedder: hashed bag of words, so related texts share dimensions. */
class HashEmbedder implements TextEmbedder {
  calls: string[][] = [];
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls.push(texts);
    return texts.map((t) => {
      const v = new Float32Array(64);
      for (const word of t.toLowerCase().match(/[a-z]+/g) ?? []) {
        let h = 2166136261;
        for (const c of word) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
        const i = (h >>> 0) % 64;
        v[i] = (v[i] ?? 0) + 1;
      }
      return v;
    });
  }
}

/** A loopback server speaking the ColBERTv2 search API that dspy.ColBERTv2 calls (GET and POST). */
async function startColBERT(): Promise<{
  server: Server;
  url: string;
  seen: { method: string; query: string; k: number }[];
}> {
  const seen: { method: string; query: string; k: number }[] = [];
  const server = createServer((req, res) => {
    const send = (query: string, k: number) => {
      seen.push({ method: req.method ?? "", query, k });
      if (query === "boom") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: true, message: "index not loaded" }));
        return;
      }
      const words = query.toLowerCase().split(/\W+/);
      const topk = CORPUS.map((text, pid) => ({
        text,
        pid,
        score: words.filter((w) => w && text.toLowerCase().includes(w)).length,
      }))
        .sort((a, b) => b.score - a.score || a.pid - b.pid)
        .slice(0, k)
        .map((p, i) => ({ ...p, rank: i + 1, prob: 1 / (i + 1) }));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ query, topk, latency: 0.001 }));
    };
    if (req.method === "POST") {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const { query, k } = JSON.parse(body) as { query: string; k: number };
        send(query, k);
      });
    } else {
      const u = new URL(req.url ?? "/", "http://127.0.0.1");
      send(u.searchParams.get("query") ?? "", Number(u.searchParams.get("k") ?? 10));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/api/search`, seen };
}

describe("retrievers", () => {
  let pool: PythonPool;
  let colbert: Awaited<ReturnType<typeof startColBERT>>;
  before(async () => {
    [pool, colbert] = await Promise.all([
      PythonPool.start({
        name: "retrievers-test",
        size: 1,
        modules: ["dspex_worker.retrievers"],
        logger: collectingLogger(),
      }),
      startColBERT(),
    ]);
  });
  after(async () => {
    await pool.close();
    await new Promise((r) => colbert.server.close(r));
  });

  it("dspy.ColBERTv2 queries the server over GET and returns passages with score and pid", async () => {
    const rm = retriever("colbertv2", { url: colbert.url, pool });
    const passages = await rm.retrieve(`capital Rome Italy ${Date.now()}`, 2);
    assert.equal(passages.length, 2);
    assert.equal(passages[0]?.text, "Rome is the capital of Italy.");
    assert.equal(passages[0]?.pid, 2);
    assert.equal(passages[0]?.score, 3);
    assert.equal(passages[0]?.metadata?.rank, 1);
    assert.equal(colbert.seen.at(-1)?.method, "GET");
    assert.equal(colbert.seen.at(-1)?.k, 2);
  });

  it("dspy.ColBERTv2 can POST, and a server error arrives typed with DSPy's message", async () => {
    const rm = retriever("colbertv2", { url: colbert.url, pool, post: true, k: 1 });
    const [top] = await rm.retrieve(`Eiffel Tower ${Date.now()}`);
    assert.equal(top?.text, "The Eiffel Tower is in Paris.");
    assert.equal(colbert.seen.at(-1)?.method, "POST");
    await assert.rejects(
      rm.retrieve("boom"),
      (e: unknown) => e instanceof PythonError && e.pythonType === "ValueError" && /index not loaded/.test(e.message),
    );
  });

  it("dspy.retrievers.Embeddings embeds the corpus once, through Node's embedder, in a session", async () => {
    const embedder = new HashEmbedder();
    const rm = retriever("embeddings", { corpus: CORPUS, embedder, k: 3, pool });
    try {
      const passages = await rm.retrieve("Which city is the capital of Italy?");
      assert.equal(passages.length, 3);
      assert.equal(passages[0]?.text, "Rome is the capital of Italy.");
      assert.equal(passages[0]?.index, 2);
      const again = await rm.retrieve("Eiffel Tower", 1);
      assert.deepEqual(
        again.map((p) => p.text),
        ["The Eiffel Tower is in Paris."],
      );
      // The corpus was embedded once; each query once more.
      assert.deepEqual(
        embedder.calls.map((c) => c.length),
        [5, 1, 1],
      );
      await assert.rejects(rm.retrieve("x", 4), ConfigurationError);
    } finally {
      await rm.close();
    }
  });

  it("the native embeddings retriever scores and ranks as DSPy's does", async () => {
    const embedder = new HashEmbedder();
    const py = retriever("embeddings", { corpus: CORPUS, embedder, k: 5, pool });
    const native = new EmbeddingsRetriever({ corpus: CORPUS, embedder, k: 5 });
    try {
      for (const query of ["capital of France", "yellow fruit", "Rome Colosseum"]) {
        const [a, b] = await Promise.all([py.retrieve(query), native.retrieve(query)]);
        // Same scores rank by rank; among equal scores numpy's argsort order is unspecified.
        for (const [i, p] of b.entries()) assert.ok(Math.abs((p.score ?? 0) - (a[i]?.score ?? 0)) < 1e-5);
        const scoreOf = (list: typeof a) => new Map(list.map((p) => [p.index, (p.score ?? 0).toFixed(5)]));
        assert.deepEqual(scoreOf(b), scoreOf(a));
        assert.equal(b[0]?.index, a[0]?.index);
      }
    } finally {
      await py.close();
    }
  });

  it("native retriever: plain number[][] embedders, default k, and typed errors", async () => {
    const embedder = { embed: async (texts: string[]) => texts.map((t) => [t.length % 3, 1, t.includes("a") ? 1 : 0]) };
    const rm = new EmbeddingsRetriever({ corpus: ["a", "bb", "ccc"], embedder, k: 2 });
    assert.equal((await rm.retrieve("aa")).length, 2);
    await assert.rejects(rm.retrieve("x", 0), ConfigurationError);
    assert.throws(() => new EmbeddingsRetriever({ corpus: [1 as unknown as string], embedder }), ConfigurationError);
    const broken = new EmbeddingsRetriever({ corpus: ["a", "b"], embedder: { embed: async () => [[1]] } });
    await assert.rejects(broken.retrieve("a"), ConfigurationError);
  });

  it("unknown retriever kinds and missing urls are typed errors with the valid choices", () => {
    assert.throws(
      () => retriever("bm25" as "colbertv2", { url: "http://x" }),
      (e: unknown) => e instanceof ConfigurationError && /colbertv2/.test(e.fix ?? ""),
    );
    assert.throws(() => retriever("colbertv2", { url: "" }), ConfigurationError);
  });
});
