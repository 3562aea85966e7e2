/**
 * BullMQ and ioredis, loaded on first use: programs that never scale out never load them, and
 * an install without them fails with a typed error that says what to install.
 */
import { DSPexError } from "../errors.js";

export class ScaleDependencyError extends DSPexError {}

export type BullMQ = typeof import("bullmq");
export type IORedis = { Redis: typeof import("ioredis").Redis };

let bullmq: Promise<BullMQ> | undefined;
let ioredis: Promise<IORedis> | undefined;

export function loadBullMQ(): Promise<BullMQ> {
  bullmq ??= import("bullmq").catch((cause: unknown) => {
    bullmq = undefined;
    throw missing("bullmq", cause);
  });
  return bullmq;
}

export function loadIORedis(): Promise<IORedis> {
  ioredis ??= import("ioredis").then(
    ({ Redis }) => ({ Redis }),
    (cause: unknown) => {
      ioredis = undefined;
      throw missing("ioredis", cause);
    },
  );
  return ioredis;
}

function missing(name: string, cause: unknown): ScaleDependencyError {
  return new ScaleDependencyError(`Scaling out needs the "${name}" package, which cannot be loaded`, {
    fix: "npm install bullmq ioredis",
    context: { package: name },
    cause,
  });
}
