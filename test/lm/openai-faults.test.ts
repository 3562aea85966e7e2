import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import {
  LMAbortedError,
  LMAuthError,
  LMBadResponseError,
  LMConnectionError,
  LMContextWindowError,
  type LMError,
  LMRateLimitError,
  LMRequestError,
  LMServerError,
  LMTimeoutError,
  openai,
} from "../../src/lm/index.js";
import { type Loopback, start } from "../helpers/loopback-openai.js";

const KEY = "sk-live-abcdefghijklmnopqrstuvwxyz0123456789";
const msgs = [{ role: "user" as const, content: "hi" }];
const fast = { baseDelayMs: 1, maxDelayMs: 5 };

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
}

function assertNoKey(error: unknown): void {
  const err = error as LMError;
  const texts = [
    err.message,
    String(err.stack),
    JSON.stringify(err.context),
    JSON.stringify(err),
    inspect(err, { depth: 8 }),
    err.fix ?? "",
  ];
  for (const text of texts) {
    assert.ok(!text.includes(KEY), `key leaked: ${text}`);
    // Nor any long fragment of it (servers echo masked keys such as sk-live-abc...789).
    for (let i = 0; i + 8 <= KEY.length; i++)
      assert.ok(!text.includes(KEY.slice(i, i + 8)), `fragment leaked: ${text}`);
  }
}

describe("openai provider: faults, retries and typed errors", () => {
  let server: Loopback;
  before(async () => {
    server = await start();
  });
  after(() => server.close());

  const lm = (extra: Partial<Parameters<typeof openai>[0]> = {}) =>
    openai({ baseURL: server.url, apiKey: KEY, model: "gpt-test", retry: fast, ...extra });

  it("retries a 429 and succeeds", async () => {
    server.setScript([
      { kind: "rateLimit", retryAfter: "0" },
      { kind: "completion", outputs: "after 429" },
    ]);
    const before = server.requests.length;
    const res = await lm().generate({ messages: msgs });
    assert.deepEqual(res.outputs, ["after 429"]);
    assert.equal(server.requests.length - before, 2);
  });

  it("honours Retry-After (retry-after-ms and seconds) as the wait", async () => {
    const delays: number[] = [];
    server.setScript([
      { kind: "rateLimit", retryAfterMs: "25" },
      { kind: "rateLimit", retryAfter: "0" },
      { kind: "completion", outputs: "ok" },
    ]);
    await lm({ retry: { ...fast, onRetry: (r) => delays.push(r.delayMs) } }).generate({ messages: msgs });
    assert.deepEqual(delays, [25, 0]);
  });

  it("gives up at once when Retry-After exceeds maxRetryAfterMs, reporting the delay", async () => {
    server.setScript([{ kind: "rateLimit", retryAfter: "120" }]);
    const before = server.requests.length;
    const err = await lm({ retry: { ...fast, maxRetryAfterMs: 1000 } })
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(err instanceof LMRateLimitError);
    assert.equal(err.retryAfterMs, 120_000);
    assert.equal(err.status, 429);
    assert.equal(err.provider, "openai");
    assert.equal(err.model, "gpt-test");
    assert.ok(err.fix);
    assert.equal(server.requests.length - before, 1);
  });

  it("throws LMRateLimitError after maxRetries, and does not retry quota errors", async () => {
    server.setScript([], { kind: "rateLimit", retryAfter: "0" });
    let before = server.requests.length;
    await assert.rejects(lm({ maxRetries: 2 }).generate({ messages: msgs }), LMRateLimitError);
    assert.equal(server.requests.length - before, 3);
    server.setScript([], { kind: "rateLimit", code: "insufficient_quota", message: "You exceeded your quota" });
    before = server.requests.length;
    await assert.rejects(
      lm().generate({ messages: msgs }),
      (e: unknown) => e instanceof LMRateLimitError && !e.retryable,
    );
    assert.equal(server.requests.length - before, 1);
    server.setScript([], { kind: "completion", outputs: "ok" });
  });

  it("retries 5xx and then succeeds; persistent 5xx gives LMServerError", async () => {
    server.setScript([
      { kind: "serverError" },
      { kind: "serverError", status: 503 },
      { kind: "completion", outputs: "up" },
    ]);
    assert.deepEqual((await lm().generate({ messages: msgs })).outputs, ["up"]);
    server.setScript([], { kind: "serverError", status: 502 });
    const before = server.requests.length;
    await assert.rejects(
      lm({ maxRetries: 1 }).generate({ messages: msgs }),
      (e: unknown) => e instanceof LMServerError && e.status === 502,
    );
    assert.equal(server.requests.length - before, 2);
    server.setScript([], { kind: "completion", outputs: "ok" });
  });

  it("does not retry 400/404", async () => {
    server.setScript([
      {
        kind: "json",
        status: 400,
        body: { error: { message: "Unknown parameter: 'foo'", code: "unknown_parameter" } },
      },
      { kind: "json", status: 404, body: { error: { message: "The model does not exist" } } },
    ]);
    const before = server.requests.length;
    await assert.rejects(
      lm().generate({ messages: msgs }),
      (e: unknown) => e instanceof LMRequestError && e.status === 400,
    );
    await assert.rejects(
      lm().generate({ messages: msgs }),
      (e: unknown) => e instanceof LMRequestError && e.status === 404,
    );
    assert.equal(server.requests.length - before, 2);
  });

  it("maps 401/403 to LMAuthError without retrying, scrubbing the echoed key", async () => {
    server.setScript([
      { kind: "auth" },
      { kind: "auth", status: 403, message: `Key ${KEY.slice(0, 12)}****${KEY.slice(-10)} lacks access` },
    ]);
    const before = server.requests.length;
    const e401 = await lm()
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(e401 instanceof LMAuthError);
    assert.equal(e401.status, 401);
    assert.match(e401.message, /Incorrect API key provided/);
    assertNoKey(e401);
    const e403 = await lm()
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(e403 instanceof LMAuthError);
    assert.equal(e403.status, 403);
    assertNoKey(e403);
    assert.equal(server.requests.length - before, 2);
  });

  it("scrubs secrets passed as headers when a server echoes them", async () => {
    const HEADER_KEY = "gw-key-0123456789abcdefghij";
    const BEARER = "tok-9876543210zyxwvutsrq";
    server.setScript([
      { kind: "auth", message: `X-Api-Key ${HEADER_KEY} is not valid here` },
      { kind: "raw", status: 200, body: `<html>gateway got X-Api-Key: ${HEADER_KEY.slice(0, 14)}</html>` },
      { kind: "auth" }, // echoes the Authorization header's credential
    ]);
    const viaGateway = openai({
      baseURL: server.url,
      apiKey: "",
      model: "gpt-test",
      retry: fast,
      headers: { "X-Api-Key": HEADER_KEY, "content-type": "application/json" },
    });
    const errors = [
      await viaGateway.generate({ messages: msgs }).catch((e: unknown) => e),
      await viaGateway.generate({ messages: msgs }).catch((e: unknown) => e),
      await openai({
        baseURL: server.url,
        apiKey: "",
        model: "m",
        retry: fast,
        headers: { authorization: `Bearer ${BEARER}` },
      })
        .generate({ messages: msgs })
        .catch((e: unknown) => e),
    ];
    assert.ok(errors[0] instanceof LMAuthError);
    assert.ok(errors[1] instanceof LMBadResponseError);
    assert.ok(errors[2] instanceof LMAuthError);
    for (const err of errors) {
      const text = `${(err as Error).message} ${inspect(err, { depth: 8 })}`;
      for (const secret of [HEADER_KEY, BEARER]) {
        for (let i = 0; i + 8 <= secret.length; i++) {
          assert.ok(!text.includes(secret.slice(i, i + 8)), `header secret leaked: ${text}`);
        }
      }
    }
    assert.equal(server.requests.at(-1)?.headers.authorization, `Bearer ${BEARER}`);
  });

  it("maps context-length errors to LMContextWindowError (by code or by message) without retrying", async () => {
    server.setScript([
      { kind: "contextWindow" },
      { kind: "contextWindow", code: null, message: "Input is longer than the model's context length (4096)." },
    ]);
    const before = server.requests.length;
    await assert.rejects(lm().generate({ messages: msgs }), LMContextWindowError);
    await assert.rejects(lm().generate({ messages: msgs }), LMContextWindowError);
    assert.equal(server.requests.length - before, 2);
  });

  it("turns malformed JSON into LMBadResponseError without retrying, scrubbing echoed keys", async () => {
    server.setScript([{ kind: "malformed" }, { kind: "raw", body: `<html>proxy says ${KEY}</html>` }]);
    await assert.rejects(lm().generate({ messages: msgs }), LMBadResponseError);
    const err = await lm()
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(err instanceof LMBadResponseError);
    assert.match(err.message, /not valid JSON/);
    assertNoKey(err);
  });

  it("retries dropped connections and truncated bodies", async () => {
    server.setScript([{ kind: "drop" }, { kind: "truncatedBody" }, { kind: "completion", outputs: "survived" }]);
    const errors: unknown[] = [];
    const res = await lm({ retry: { ...fast, onRetry: (r) => errors.push(r.error) } }).generate({ messages: msgs });
    assert.deepEqual(res.outputs, ["survived"]);
    assert.equal(errors.length, 2);
    for (const e of errors) assert.ok(e instanceof LMConnectionError, String(e));
  });

  it("reports persistent drops as LMConnectionError", async () => {
    server.setScript([], { kind: "drop" });
    const err = await lm({ maxRetries: 1 })
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(err instanceof LMConnectionError);
    assert.ok(err.retryable);
    assertNoKey(err);
    server.setScript([], { kind: "completion", outputs: "ok" });
  });

  it("times out slow replies with LMTimeoutError after retrying", async () => {
    server.setScript([], { kind: "hang" });
    const before = server.requests.length;
    const err = await lm({ timeoutMs: 50, maxRetries: 1 })
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(err instanceof LMTimeoutError, String(err));
    assert.match(err.message, /within 50 ms/);
    assert.equal(server.requests.length - before, 2);
    server.setScript([], { kind: "completion", outputs: "ok" });
  });

  it("abort really cancels the HTTP request: the server sees the connection close", async () => {
    server.setScript([{ kind: "hang" }]);
    const controller = new AbortController();
    const before = server.requests.length;
    const pending = lm().generate({ messages: msgs, signal: controller.signal });
    await until(() => server.requests.length > before);
    controller.abort();
    await assert.rejects(pending, LMAbortedError);
    const req = server.requests[before];
    assert.ok(req);
    await req.closed;
    assert.equal(req.closedEarly, true);
  });

  it("abort during a backoff wait stops retrying; a pre-aborted signal sends nothing", async () => {
    server.setScript([], { kind: "rateLimit", retryAfter: "30" });
    const controller = new AbortController();
    const before = server.requests.length;
    const pending = lm().generate({ messages: msgs, signal: controller.signal });
    await until(() => server.requests.length > before);
    controller.abort();
    await assert.rejects(pending, LMAbortedError);
    assert.equal(server.requests.length - before, 1);
    await assert.rejects(lm().generate({ messages: msgs, signal: AbortSignal.abort() }), LMAbortedError);
    assert.equal(server.requests.length - before, 1);
    server.setScript([], { kind: "completion", outputs: "ok" });
  });

  it("reports a refused connection as LMConnectionError", async () => {
    const other = await start();
    const url = other.url;
    await other.close();
    const err = await openai({ baseURL: url, apiKey: KEY, model: "m", maxRetries: 1, retry: fast })
      .generate({ messages: msgs })
      .catch((e: unknown) => e);
    assert.ok(err instanceof LMConnectionError, String(err));
    assert.match(err.message, /ECONNREFUSED/);
    assertNoKey(err);
  });
});
