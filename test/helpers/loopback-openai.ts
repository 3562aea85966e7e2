/**
 * A real node:http server speaking the OpenAI chat-completions wire format on 127.0.0.1:0,
 * with scripted replies and injectable faults. Tests start and close it themselves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  body: unknown;
  /** Resolves when the client's connection for this request closes. */
  closed: Promise<void>;
  /** True once the connection closed before the server finished its reply. */
  closedEarly: boolean;
}

/** One scripted reply. Faults are replies too. */
export type Reply =
  | { kind: "completion"; outputs: string | string[]; usage?: WireUsage; model?: string; finishReason?: string }
  | {
      kind: "stream";
      /** Deltas of each completion (one list per choice index); a flat list means one completion. */
      deltas: string[] | string[][];
      usage?: WireUsage;
      /** Leave out the final `data: [DONE]`. */
      omitDone?: boolean;
      /** Leave out finish_reason chunks. */
      omitFinish?: boolean;
      /** Send only this many events, then cut the stream. */
      truncateAfter?: number;
      /** How to cut: end the response cleanly, or destroy the socket (default). */
      truncateMode?: "end" | "destroy";
      /** Send the first events, then keep the response open forever. */
      hangAfter?: number;
      /** Write every event in two halves, to split events across reads. */
      splitWrites?: boolean;
      /** Insert a stream error event (an `{"error": ...}` data line) after this many events. */
      errorAfter?: number;
    }
  /** An assistant message with tool_calls (arguments as the JSON text the server sends), or its SSE form. */
  | {
      kind: "toolCalls";
      calls: { id: string; name: string; arguments: string }[];
      content?: string | null;
      stream?: boolean;
      usage?: WireUsage;
    }
  | { kind: "json"; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: "raw"; status?: number; body: string; headers?: Record<string, string> }
  | { kind: "rateLimit"; retryAfter?: string; retryAfterMs?: string; message?: string; code?: string }
  | { kind: "serverError"; status?: number; message?: string }
  | { kind: "contextWindow"; message?: string; code?: string | null }
  | { kind: "auth"; status?: 401 | 403; message?: string }
  /** Never answers (a reply slower than any timeout); the request is released on close(). */
  | { kind: "hang" }
  /** Destroys the socket before any response. */
  | { kind: "drop" }
  /** Announces a longer body than it sends, then destroys the socket. */
  | { kind: "truncatedBody" }
  | { kind: "malformed" };

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

export type Script = Reply[] | ((request: RecordedRequest, index: number) => Reply);

export interface LoopbackOptions {
  script?: Script;
  /** Used once a list script is used up (default: a completion "ok"). */
  fallback?: Reply;
  /** Delay before every reply. */
  latencyMs?: number;
}

export interface Loopback {
  url: string;
  requests: RecordedRequest[];
  setScript(script: Script, fallback?: Reply): void;
  close(): Promise<void>;
}

export type ReplyWriter<R> = (reply: R, req: RecordedRequest, res: ServerResponse, socket: Socket) => void;

/** The server machinery shared by the OpenAI and Anthropic loopbacks. */
export async function startServer<R>(
  options: { script?: R[] | ((request: RecordedRequest, index: number) => R); fallback: R; latencyMs?: number },
  write: ReplyWriter<R>,
  basePath: string,
): Promise<{
  url: string;
  requests: RecordedRequest[];
  setScript(script: R[] | ((request: RecordedRequest, index: number) => R), fallback?: R): void;
  close(): Promise<void>;
}> {
  let script = options.script ?? [];
  let fallback = options.fallback;
  let position = 0;
  const requests: RecordedRequest[] = [];
  const pending = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      let markClosed: () => void = () => undefined;
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: { ...req.headers },
        rawBody,
        body,
        closed: new Promise<void>((resolve) => {
          markClosed = resolve;
        }),
        closedEarly: false,
      };
      res.on("close", () => {
        if (!res.writableFinished) recorded.closedEarly = true;
        pending.delete(res);
        markClosed();
      });
      pending.add(res);
      const index = requests.length;
      requests.push(recorded);
      const reply = typeof script === "function" ? script(recorded, index) : (script[position++] ?? fallback);
      const go = (): void => write(reply, recorded, res, req.socket);
      if (options.latencyMs) setTimeout(go, options.latencyMs);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    setScript(next, nextFallback) {
      script = next;
      position = 0;
      if (nextFallback !== undefined) fallback = nextFallback;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of pending) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJSON(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes SSE events one by one (each on its own tick, so the client sees separate reads). */
export function writeEvents(
  res: ServerResponse,
  socket: Socket,
  events: string[],
  opts: { truncateAfter?: number; truncateMode?: "end" | "destroy"; hangAfter?: number; splitWrites?: boolean },
): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const limit = opts.truncateAfter ?? opts.hangAfter ?? events.length;
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (i >= limit) {
      if (opts.hangAfter !== undefined) return;
      if (opts.truncateAfter !== undefined && (opts.truncateMode ?? "destroy") === "destroy") socket.destroy();
      else res.end();
      return;
    }
    const event = events[i++] ?? "";
    if (opts.splitWrites) {
      const cut = Math.max(1, Math.floor(event.length / 2));
      res.write(event.slice(0, cut));
      setTimeout(() => {
        res.write(event.slice(cut));
        setTimeout(next, 1);
      }, 1);
    } else {
      res.write(event);
      setImmediate(next);
    }
  };
  next();
}

function writeOpenAI(reply: Reply, req: RecordedRequest, res: ServerResponse, socket: Socket): void {
  const model = (req.body as { model?: string } | undefined)?.model ?? "loopback";
  switch (reply.kind) {
    case "completion": {
      const outputs = typeof reply.outputs === "string" ? [reply.outputs] : reply.outputs;
      sendJSON(res, 200, {
        id: "chatcmpl-loopback",
        object: "chat.completion",
        created: 0,
        model: reply.model ?? model,
        choices: outputs.map((content, index) => ({
          index,
          message: { role: "assistant", content },
          finish_reason: reply.finishReason ?? "stop",
        })),
        usage: reply.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
      return;
    }
    case "stream": {
      const perChoice: string[][] =
        reply.deltas.length > 0 && Array.isArray(reply.deltas[0])
          ? (reply.deltas as string[][])
          : [reply.deltas as string[]];
      const events: string[] = [];
      const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
        `data: ${JSON.stringify({ id: "chatcmpl-loopback", object: "chat.completion.chunk", model, choices, ...extra })}\n\n`;
      for (const index of perChoice.keys()) events.push(chunk([{ index, delta: { role: "assistant", content: "" } }]));
      const longest = Math.max(...perChoice.map((d) => d.length));
      let errored = false;
      for (let k = 0; k < longest; k++) {
        for (const [index, deltas] of perChoice.entries()) {
          const d = deltas[k];
          if (d !== undefined) events.push(chunk([{ index, delta: { content: d }, finish_reason: null }]));
        }
        if (reply.errorAfter !== undefined && !errored && events.length >= reply.errorAfter) {
          errored = true;
          events.push(`data: ${JSON.stringify({ error: { message: "stream exploded", type: "server_error" } })}\n\n`);
        }
      }
      if (!reply.omitFinish) {
        for (const index of perChoice.keys()) events.push(chunk([{ index, delta: {}, finish_reason: "stop" }]));
      }
      if (reply.usage) events.push(chunk([], { usage: reply.usage }));
      if (!reply.omitDone) events.push("data: [DONE]\n\n");
      writeEvents(res, socket, events, reply);
      return;
    }
    case "toolCalls": {
      const wire = reply.calls.map((c) => ({
        id: c.id,
        type: "function",
        function: { name: c.name, arguments: c.arguments },
      }));
      if (!reply.stream) {
        sendJSON(res, 200, {
          id: "chatcmpl-loopback",
          object: "chat.completion",
          model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: reply.content ?? null, tool_calls: wire },
              finish_reason: "tool_calls",
            },
          ],
          usage: reply.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        });
        return;
      }
      const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra = {}): string =>
        `data: ${JSON.stringify({ id: "chatcmpl-loopback", object: "chat.completion.chunk", model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
      const events = [chunk({ role: "assistant", content: reply.content ?? null })];
      // Each call: its id and name first, then its arguments in two pieces, as OpenAI streams them.
      reply.calls.forEach((c, index) => {
        const cut = Math.floor(c.arguments.length / 2);
        events.push(
          chunk({ tool_calls: [{ index, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }),
          chunk({ tool_calls: [{ index, function: { arguments: c.arguments.slice(0, cut) } }] }),
          chunk({ tool_calls: [{ index, function: { arguments: c.arguments.slice(cut) } }] }),
        );
      });
      events.push(chunk({}, "tool_calls"));
      if (reply.usage) events.push(`data: ${JSON.stringify({ choices: [], usage: reply.usage })}\n\n`);
      events.push("data: [DONE]\n\n");
      writeEvents(res, socket, events, {});
      return;
    }
    case "json":
      sendJSON(res, reply.status ?? 200, reply.body, reply.headers);
      return;
    case "raw":
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...(reply.headers ?? {}) });
      res.end(reply.body);
      return;
    case "rateLimit": {
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers["retry-after"] = reply.retryAfter;
      if (reply.retryAfterMs !== undefined) headers["retry-after-ms"] = reply.retryAfterMs;
      const message = reply.message ?? "Rate limit reached for requests";
      sendJSON(res, 429, { error: { message, type: "requests", code: reply.code ?? "rate_limit_exceeded" } }, headers);
      return;
    }
    case "serverError":
      sendJSON(res, reply.status ?? 500, {
        error: { message: reply.message ?? "The server had an error", type: "server_error" },
      });
      return;
    case "contextWindow":
      sendJSON(res, 400, {
        error: {
          message:
            reply.message ??
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
          type: "invalid_request_error",
          param: "messages",
          code: reply.code === undefined ? "context_length_exceeded" : reply.code,
        },
      });
      return;
    case "auth": {
      const auth = req.headers.authorization;
      const key = typeof auth === "string" ? auth.replace(/^Bearer /, "") : "";
      // Real servers echo (part of) the key back; tests check that clients scrub it.
      const message =
        reply.message ?? `Incorrect API key provided: ${key}. You can find your API key at the dashboard.`;
      sendJSON(res, reply.status ?? 401, {
        error: { message, type: "invalid_request_error", code: "invalid_api_key" },
      });
      return;
    }
    case "hang":
      return;
    case "drop":
      socket.destroy();
      return;
    case "truncatedBody":
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"id":"chatcmpl-loopback","choices":[{"index":0,"mess');
      setTimeout(() => socket.destroy(), 5);
      return;
    case "malformed":
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"id": "chatcmpl-loopback", "choices": [ {"index": 0, "message": ');
      return;
  }
}

/** Starts an OpenAI-compatible loopback; `url` is its /v1 root (use it as baseURL). */
export function start(opts: LoopbackOptions = {}): Promise<Loopback> {
  return startServer<Reply>(
    { ...opts, fallback: opts.fallback ?? { kind: "completion", outputs: "ok" } },
    writeOpenAI,
    "/v1",
  );
}
