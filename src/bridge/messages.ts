/**
 * Wire messages between Node and a worker, and between Node and a pool's fork server (the
 * zygote). Every frame is a MessagePack map with a kind `k`. Call ids are allocated by Node,
 * callback ids by Python: the two spaces are separate. python/dspex_worker/wire.json lists the
 * same kinds and fields; test/bridge/wire-schema.test.ts and python/tests/test_wire.py hold both
 * sides to it.
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

// Node -> fork server (python/dspex_worker/zygote.py), on the zygote's fds 3/4
export interface ForkMsg {
  k: "fork";
  /** 32 hex characters; the forked child opens each of its connections with it. */
  token: string;
  /** The Unix socket the child connects to. */
  path: string;
}
/** The pool is closing: kill the children and exit (EOF alone means that Node died). */
export interface ZygoteCloseMsg {
  k: "close";
}
export type ToZygote = ForkMsg | ZygoteCloseMsg;

// fork server -> Node
export interface ZygoteReadyMsg {
  k: "ready";
  pid: number;
  python: string;
  dspy: string | null;
  /** More than one means forking is unsafe: workers are spawned instead. */
  threads: number;
  preloadError: string | null;
}
export interface ForkedMsg {
  k: "forked";
  token: string;
  pid: number;
}
export interface ForkErrorMsg {
  k: "fork_error";
  token: string;
  message: string;
}
/** A forked child's exit status (only the zygote can wait for it). */
export interface ChildExitMsg {
  k: "exit";
  pid: number;
  code: number | null;
  signal: string | null;
}
export type FromZygote = ZygoteReadyMsg | ForkedMsg | ForkErrorMsg | ChildExitMsg;

/** Every kind, per direction: what wire.json must list (checked by test/bridge/wire-schema.test.ts). */
export const MESSAGE_KINDS = {
  toPython: ["call", "credit", "cancel", "cb_result", "hb", "session_close"],
  fromPython: ["ready", "result", "error", "chunk", "end", "cb_call", "hb", "log"],
  toZygote: ["fork", "close"],
  fromZygote: ["ready", "forked", "fork_error", "exit"],
} as const satisfies {
  toPython: readonly ToPython["k"][];
  fromPython: readonly FromPython["k"][];
  toZygote: readonly ToZygote["k"][];
  fromZygote: readonly FromZygote["k"][];
};
