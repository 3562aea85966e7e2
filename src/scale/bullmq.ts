/**
 * BullMQ and ioredis, loaded on first use through the one loader of optional parts: programs
 * that never scale out never load them, and an install without them fails with
 * OptionalDependencyMissingError naming the install command.
 */
import { importOptional, OptionalDependencyMissingError } from "../optional.js";

/** Kept for callers of the first scale release; the error is the shared one for optional parts. */
export const ScaleDependencyError = OptionalDependencyMissingError;

export type BullMQ = typeof import("bullmq");
export type IORedis = { Redis: typeof import("ioredis").Redis };

export function loadBullMQ(): Promise<BullMQ> {
  return importOptional<BullMQ>("bullmq");
}

export async function loadIORedis(): Promise<IORedis> {
  const { Redis } = await importOptional<typeof import("ioredis")>("ioredis");
  return { Redis };
}
