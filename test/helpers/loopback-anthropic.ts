/**
 * A real node:http server speaking Anthropic's Messages API wire format (POST /v1/messages,
 * SSE events message_start ... message_stop) on 127.0.0.1:0, with scripted replies and faults.
 */
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type RecordedRequest, sendJSON, startServer, writeEvents } from "./loopback-openai.js";

export type { RecordedRequest } from "./loopback-openai.js";

export type AnthropicReply =
  | {
      kind: "message";
      text: string | string[];
      stopReason?: string;
      usage?: { input_tokens: number; output_tokens: number };
    }
  | {
      kind: "stream";
      deltas: string[];
      usage?: { input_tokens: number; output_tokens: number };
      /** Send only this many events, then cut the stream (destroy by default). */
      truncateAfter?: number;
      truncateMode?: "end" | "destroy";
      hangAfter?: number;
      splitWrites?: boolean;
      /** Replace the event at this position with an `error` event. */
      errorAt?: number;
      errorType?: string;
    }
  /** A message with tool_use blocks (after optional text), or its SSE form with input_json_delta. */
  | {
      kind: "toolUse";
      text?: string;
      uses: { id: string; name: string; input: Record<string, unknown> }[];
      stream?: boolean;
    }
  | { kind: "error"; status: number; type: string; message: string; headers?: Record<string, string> }
  | { kind: "auth" }
  | { kind: "raw"; status?: number; body: string; headers?: Record<string, string> }
  | { kind: "hang" }
  | { kind: "drop" };

export type AnthropicScript = AnthropicReply[] | ((request: RecordedRequest, index: number) => AnthropicReply);

export interface AnthropicLoopback {
  /** The API root (use as baseURL); requests go to /v1/messages under it. */
  url: string;
  requests: RecordedRequest[];
  setScript(script: AnthropicScript, fallback?: AnthropicReply): void;
  close(): Promise<void>;
}

const event = (type: string, data: Record<string, unknown>): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

function write(reply: AnthropicReply, req: RecordedRequest, res: ServerResponse, socket: Socket): void {
  const model = (req.body as { model?: string } | undefined)?.model ?? "claude-loopback";
  switch (reply.kind) {
    case "message": {
      const texts = typeof reply.text === "string" ? [reply.text] : reply.text;
      sendJSON(res, 200, {
        id: "msg_loopback",
        type: "message",
        role: "assistant",
        model,
        content: texts.map((text) => ({ type: "text", text })),
        stop_reason: reply.stopReason ?? "end_turn",
        stop_sequence: null,
        usage: reply.usage ?? { input_tokens: 11, output_tokens: 7 },
      });
      return;
    }
    case "stream": {
      const usage = reply.usage ?? { input_tokens: 11, output_tokens: 7 };
      const events = [
        event("message_start", {
          message: {
            id: "msg_loopback",
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
          },
        }),
        event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
        event("ping", {}),
        ...reply.deltas.map((text) => event("content_block_delta", { index: 0, delta: { type: "text_delta", text } })),
        event("content_block_stop", { index: 0 }),
        event("message_delta", {
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: usage.output_tokens },
        }),
        event("message_stop", {}),
      ];
      if (reply.errorAt !== undefined) {
        events[reply.errorAt] = event("error", {
          error: { type: reply.errorType ?? "overloaded_error", message: "Overloaded" },
        });
      }
      writeEvents(res, socket, events, reply);
      return;
    }
    case "toolUse": {
      const blocks: Record<string, unknown>[] = [
        ...(reply.text === undefined ? [] : [{ type: "text", text: reply.text }]),
        ...reply.uses.map((u) => ({ type: "tool_use", id: u.id, name: u.name, input: u.input })),
      ];
      if (!reply.stream) {
        sendJSON(res, 200, {
          id: "msg_loopback",
          type: "message",
          role: "assistant",
          model,
          content: blocks,
          stop_reason: "tool_use",
          stop_sequence: null,
          usage: { input_tokens: 11, output_tokens: 7 },
        });
        return;
      }
      const events = [
        event("message_start", {
          message: {
            id: "msg_loopback",
            type: "message",
            role: "assistant",
            model,
            content: [],
            usage: { input_tokens: 11, output_tokens: 1 },
          },
        }),
      ];
      blocks.forEach((block, index) => {
        if (block.type === "text") {
          events.push(
            event("content_block_start", { index, content_block: { type: "text", text: "" } }),
            event("content_block_delta", { index, delta: { type: "text_delta", text: block.text } }),
          );
        } else {
          const json = JSON.stringify(block.input);
          const cut = Math.floor(json.length / 2);
          events.push(
            event("content_block_start", {
              index,
              content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
            }),
            event("content_block_delta", {
              index,
              delta: { type: "input_json_delta", partial_json: json.slice(0, cut) },
            }),
            event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: json.slice(cut) } }),
          );
        }
        events.push(event("content_block_stop", { index }));
      });
      events.push(
        event("message_delta", {
          delta: { stop_reason: "tool_use", stop_sequence: null },
          usage: { output_tokens: 9 },
        }),
        event("message_stop", {}),
      );
      writeEvents(res, socket, events, {});
      return;
    }
    case "error":
      sendJSON(
        res,
        reply.status,
        { type: "error", error: { type: reply.type, message: reply.message } },
        reply.headers,
      );
      return;
    case "auth": {
      const key = req.headers["x-api-key"];
      sendJSON(res, 401, {
        type: "error",
        error: { type: "authentication_error", message: `invalid x-api-key: ${String(key)}` },
      });
      return;
    }
    case "raw":
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...(reply.headers ?? {}) });
      res.end(reply.body);
      return;
    case "hang":
      return;
    case "drop":
      socket.destroy();
      return;
  }
}

export function start(
  opts: { script?: AnthropicScript; fallback?: AnthropicReply; latencyMs?: number } = {},
): Promise<AnthropicLoopback> {
  return startServer<AnthropicReply>(
    { ...opts, fallback: opts.fallback ?? { kind: "message", text: "ok" } },
    write,
    "",
  );
}
