import type { LM, LMRequest, Usage } from "./types.js";

/** Request settings over an LM's defaults; provider options merge key by key. */
export function mergeRequest(defaults: LM["defaults"], request: LMRequest): LMRequest {
  if (defaults === undefined) return request;
  const merged: LMRequest = { ...defaults, ...stripUndefined(request) } as LMRequest;
  if (defaults.providerOptions !== undefined || request.providerOptions !== undefined) {
    merged.providerOptions = { ...(defaults.providerOptions ?? {}), ...(request.providerOptions ?? {}) };
  }
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
}

/** Reads a non-negative token count, tolerating absent or odd values from lenient servers. */
export function tokenCount(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Joins a base URL and a path without doubling or dropping slashes. */
export function joinURL(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
