import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  backoffDelay,
  isRetryable,
  LMAbortedError,
  LMAuthError,
  LMContextWindowError,
  LMRateLimitError,
  LMServerError,
  parseRetryAfter,
  REDACTED,
  safeURL,
  scrubSecrets,
  scrubValue,
  SSEParser,
  withRetry,
} from "../../src/lm/index.js";

const headers = (h: Record<string, string>) => new Headers(h);

describe("retry", () => {
  it("backoff is full jitter under an exponential, capped ceiling", () => {
    assert.equal(
      backoffDelay(0, 100, 1000, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(3, 100, 1000, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(10, 100, 1000, () => 0.5),
      500,
    );
    assert.equal(
      backoffDelay(2, 100, 1000, () => 0),
      0,
    );
  });

  it("parses Retry-After as seconds, HTTP date, or retry-after-ms", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    assert.equal(parseRetryAfter(headers({ "retry-after": "3" }), now), 3000);
    assert.equal(parseRetryAfter(headers({ "retry-after": "0.25" }), now), 250);
    assert.equal(parseRetryAfter(headers({ "retry-after": "Wed, 21 Oct 2015 07:28:05 GMT" }), now), 5000);
    assert.equal(parseRetryAfter(headers({ "retry-after": "Wed, 21 Oct 2015 07:27:00 GMT" }), now), 0);
    assert.equal(parseRetryAfter(headers({ "retry-after-ms": "120", "retry-after": "9" }), now), 120);
    assert.equal(parseRetryAfter(headers({ "retry-after": "soon" }), now), undefined);
    assert.equal(parseRetryAfter(headers({}), now), undefined);
  });

  it("classifies errors: 429/5xx/resets retryable; auth/context not", () => {
    assert.equal(isRetryable(new LMRateLimitError("x")), true);
    assert.equal(isRetryable(new LMServerError("x")), true);
    assert.equal(isRetryable(new LMAuthError("x")), false);
    assert.equal(isRetryable(new LMContextWindowError("x")), false);
    assert.equal(isRetryable(Object.assign(new Error("read"), { code: "ECONNRESET" })), true);
    assert.equal(isRetryable(new TypeError("fetch failed", { cause: new Error("socket hang up") })), true);
    assert.equal(isRetryable(new Error("bad input")), false);
  });

  it("retries up to maxRetries, then throws the last error", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new LMServerError(`fail ${calls}`);
        },
        { maxRetries: 2, baseDelayMs: 1 },
      ),
      /fail 3/,
    );
    assert.equal(calls, 3);
  });

  it("does not retry non-retryable errors, and returns on success", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw new LMAuthError("no");
      }),
      LMAuthError,
    );
    assert.equal(calls, 1);
    assert.equal(
      await withRetry(async (attempt) => (attempt < 2 ? Promise.reject(new LMServerError("x")) : "done"), {
        baseDelayMs: 1,
      }),
      "done",
    );
  });

  it("uses the server's Retry-After as the delay, and aborts during the wait", async () => {
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        if (calls++ === 0) throw new LMRateLimitError("slow", { retryAfterMs: 7 });
        return "ok";
      },
      { onRetry: (r) => delays.push(r.delayMs) },
    );
    assert.deepEqual(delays, [7]);
    const controller = new AbortController();
    const pending = withRetry(async () => Promise.reject(new LMRateLimitError("slow", { retryAfterMs: 10_000 })), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 5);
    await assert.rejects(pending, LMAbortedError);
  });
});

describe("SSEParser", () => {
  it("handles events split at every byte, CRLF, multi-line data, comments and event names", () => {
    const text = ': comment\r\nevent: delta\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: ünï ✓\n\ndata:[DONE]\r\r';
    const bytes = new TextEncoder().encode(text);
    const parser = new SSEParser();
    const events = [];
    for (const b of bytes) events.push(...parser.feed(new Uint8Array([b])));
    const end = parser.end();
    events.push(...end.events);
    assert.deepEqual(events, [
      { event: "delta", data: '{"a":\n1}' },
      { event: undefined, data: "ünï ✓" },
      { event: undefined, data: "[DONE]" },
    ]);
    assert.equal(end.incomplete, false);
  });

  it("reports an incomplete trailing event and drops it", () => {
    const parser = new SSEParser();
    assert.deepEqual(parser.feed('data: {"x": 1}\n\ndata: {"partial'), [{ event: undefined, data: '{"x": 1}' }]);
    const end = parser.end();
    assert.deepEqual(end.events, []);
    assert.equal(end.incomplete, true);
  });
});

describe("scrubbing", () => {
  const key = "sk-proj-Abc123Def456Ghi789Jkl";
  it("removes whole keys and long fragments (masked echoes)", () => {
    assert.equal(scrubSecrets(`key=${key}!`, [key]), `key=${REDACTED}!`);
    const masked = scrubSecrets(`Incorrect API key provided: sk-proj-Abc1********************9Jkl.`, [key]);
    assert.ok(!masked.includes("sk-proj-Abc1"));
    assert.equal(scrubSecrets("nothing secret here", [key, undefined]), "nothing secret here");
  });

  it("scrubs nested values and URLs with credentials", () => {
    assert.deepEqual(scrubValue({ a: [`x ${key}`], n: 1 }, [key]), { a: [`x ${REDACTED}`], n: 1 });
    assert.equal(safeURL("https://user:pw@example.com/v1/chat?key=abc"), "https://example.com/v1/chat");
  });
});
