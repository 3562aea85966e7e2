/**
 * BullMQ and ioredis, loaded on first use through the one loader of optional parts: programs
 * that never scale out never load them, and an install without them fails with
 * OptionalDependencyMissingError naming the install command.
 */
import { importOptional, OptionalDependencyMissingError } from "../optional.js";

/** Kept for callers of the first scale release; the error is the shared one for optional parts. */
export const ScaleDependencyError = OptionalDependencyMissingError;

/** @internal */
export type BullMQ = typeof import("bullmq");
/** @internal */
export type IORedis = { Redis: typeof import("ioredis").Redis };

/** @internal (its type names BullMQ, an optional peer) */
export function loadBullMQ(): Promise<BullMQ> {
  return importOptional<BullMQ>("bullmq");
}

/** @internal (its type names ioredis, an optional peer) */
export async function loadIORedis(): Promise<IORedis> {
  const { Redis } = await importOptional<typeof import("ioredis")>("ioredis");
  return { Redis };
}
