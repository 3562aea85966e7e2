/**
 * Frames: a 4-byte big-endian length, then a MessagePack body. MessagePack won over JSON
 * by measurement (bench/p2-bridge.ts prints both): equal at 100 B, about 6x cheaper end to
 * end at 100 KB, and it carries bytes without base64.
 */
import { Packr, Unpackr } from "msgpackr";
import { ProtocolError } from "./errors.js";
import { installMediaCodec } from "./media-codec.js";
import type { FromPython, FromZygote, ToPython, ToZygote } from "./messages.js";
import { prepareValue } from "./values.js";

export const MAX_FRAME = 64 * 1024 * 1024;

installMediaCodec();
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export function encodeFrame(message: ToPython | ToZygote, maxFrame = MAX_FRAME): Buffer {
  const body = packr.pack(prepareValue(message));
  if (body.length > maxFrame) {
    throw new ProtocolError(`message of ${body.length} bytes exceeds the frame limit of ${maxFrame} bytes`, {
      fix: "send large data by reference (a file path) or raise maxFrameBytes",
    });
  }
  // One buffer per frame: the packer reuses its own memory, and the socket may hold ours for a while.
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** A message from a worker (the default) or from a fork server. */
type Incoming = FromPython | FromZygote;

export function decodeBody<M extends Incoming = FromPython>(body: Buffer): M {
  let value: unknown;
  try {
    value = unpackr.unpack(body);
  } catch (err) {
    throw new ProtocolError(`malformed frame: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || typeof value !== "object" || typeof (value as { k?: unknown }).k !== "string") {
    throw new ProtocolError("frame is not a message map with a kind");
  }
  return value as M;
}

/** Splits a byte stream into messages. Large frames are assembled once, not re-concatenated per chunk. */
export class FrameDecoder<M extends Incoming = FromPython> {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrame = MAX_FRAME) {}

  push(chunk: Buffer): M[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: M[] = [];
    while (this.buffered >= 4) {
      const length = this.peekLength();
      if (length > this.maxFrame) {
        throw new ProtocolError(`frame length ${length} exceeds the limit of ${this.maxFrame} bytes`);
      }
      if (this.buffered < 4 + length) break;
      const head = this.chunks[0]!;
      let body: Buffer;
      if (head.length >= 4 + length) {
        body = head.subarray(4, 4 + length);
        this.consume(4 + length);
      } else {
        const joined = Buffer.concat(this.chunks, this.buffered);
        body = joined.subarray(4, 4 + length);
        this.chunks = [joined];
        this.consume(4 + length);
      }
      out.push(decodeBody<M>(body));
    }
    return out;
  }

  private peekLength(): number {
    const head = this.chunks[0]!;
    if (head.length >= 4) return head.readUInt32BE(0);
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined.readUInt32BE(0);
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const head = this.chunks[0]!;
      if (head.length <= n) {
        this.chunks.shift();
        n -= head.length;
      } else {
        this.chunks[0] = head.subarray(n);
        n = 0;
      }
    }
  }
}
