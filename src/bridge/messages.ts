/**
 * Wire messages between Node and a worker. Every frame is a MessagePack map with a kind `k`.
 * Call ids are allocated by Node, callback ids by Python: the two spaces are separate.
 */

// Node -> Python
export interface CallMsg {
  k: "call";
  id: number;
  tool: string;
  args: unknown;
  session?: string;
  /** Streaming call: the worker sends chunks, at most `credit` ahead of what Node consumed. */
  stream?: boolean;
  credit?: number;
}
export interface CreditMsg {
  k: "credit";
  id: number;
  n: number;
}
export interface CancelMsg {
  k: "cancel";
  id: number;
}
export interface CallbackResultMsg {
  k: "cb_result";
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { type: string; message: string };
}
export interface HeartbeatMsg {
  k: "hb";
  t: number;
}
export interface SessionCloseMsg {
  k: "session_close";
  session: string;
}
export type ToPython = CallMsg | CreditMsg | CancelMsg | CallbackResultMsg | HeartbeatMsg | SessionCloseMsg;

// Python -> Node
export interface ReadyMsg {
  k: "ready";
  pid: number;
  python: string;
  dspy: string | null;
  worker: string;
  tools: string[];
}
export interface ResultMsg {
  k: "result";
  id: number;
  value: unknown;
}
export interface ErrorMsg {
  k: "error";
  id: number;
  type: string;
  message: string;
  traceback: string;
}
export interface ChunkMsg {
  k: "chunk";
  id: number;
  value: unknown;
}
export interface EndMsg {
  k: "end";
  id: number;
}
export interface CallbackCallMsg {
  k: "cb_call";
  id: number;
  name: string;
  args: unknown;
  parent: number | null;
}
export interface LogMsg {
  k: "log";
  level: string;
  logger: string;
  message: string;
}
export type FromPython = ReadyMsg | ResultMsg | ErrorMsg | ChunkMsg | EndMsg | CallbackCallMsg | HeartbeatMsg | LogMsg;
