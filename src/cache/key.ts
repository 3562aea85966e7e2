import type * as Crypto from "node:crypto";
import { onFirstUse } from "../lazy.js";
import type { LMRequest } from "../lm/types.js";
import { CacheKeyError } from "./errors.js";

export interface CacheKeyContext {
  /** The LM's stable provider id ("openai", "anthropic", ...). */
  provider: string;
  model: string;
  /** Adapter name; the same messages formatted by another adapter are another request. */
  adapter?: string;
  /**
   * The LM's defaults. A request field left undefined takes the default, so two LMs with the
   * same model but different default temperatures never share entries.
   */
  defaults?: Partial<Omit<LMRequest, "messages" | "signal">>;
}

/**
 * Bumped whenever the canonical form changes, so old entries become unreachable instead of
 * being served for requests they no longer describe.
 */
const KEY_VERSION = 1;

/** Nesting deeper than this is treated as a cycle: real requests are a few levels deep. */
const MAX_DEPTH = 64;

/**
 * providerOptions keys that may carry credentials or endpoints. DSPy leaves api_key, api_base
 * and base_url out of its keys for the same reason: moving a key or a proxy must not empty the
 * cache, and secrets must not shape anything stored on disk.
 */
const EXCLUDED_OPTION_KEYS = new Set([
  "apikey",
  "api_key",
  "baseurl",
  "base_url",
  "api_base",
  "apibase",
  "headers",
  "authorization",
  "fetch",
  "signal",
]);

// crypto.hash (Node >= 20.12) skips the Hash object and is noticeably faster for short inputs.
// node:crypto loads with the first key, not with `import("dspex")`.
const nodeCrypto = onFirstUse<typeof Crypto>("node:crypto");
let hashHex: ((data: string) => string) | undefined;
function sha256Hex(data: string): string {
  if (hashHex === undefined) {
    const crypto = nodeCrypto();
    hashHex =
      typeof (crypto as { hash?: unknown }).hash === "function"
        ? (text) => crypto.hash("sha256", text, "hex")
        : (text) => crypto.createHash("sha256").update(text).digest("hex");
  }
  return hashHex(data);
}

/**
 * The cache key of a request: sha256 (hex) of a canonical text of everything that shapes the
 * response. Canonical means JSON's structure with sorted object keys, no whitespace and
 * JavaScript's shortest round-trip number form, so equal requests give equal keys whatever order
 * their fields were written in; string values are length-prefixed (`'5:hello`) rather than
 * escaped (see `str`). The signal, credentials, base URL and headers never take part.
 */
export function cacheKey(request: LMRequest, context: CacheKeyContext): string {
  return sha256Hex(canonicalRequest(request, context));
}

/**
 * The canonical text that {@link cacheKey} hashes. Written field by field in sorted order
 * rather than by building a merged object and sorting it, because this runs on every call.
 */
export function canonicalRequest(request: LMRequest, context: CacheKeyContext): string {
  const d = context.defaults;
  let out = '{"adapter":';
  out += context.adapter === undefined ? "null" : str(context.adapter);
  out += ',"maxTokens":' + canonical(pick(request.maxTokens, d?.maxTokens), 0);
  out += ',"messages":' + canonical(request.messages, 0);
  out += ',"model":' + str(context.model);
  out += ',"n":' + canonical(pick(request.n, d?.n), 0);
  out += ',"provider":' + str(context.provider);
  out += ',"providerOptions":' + canonicalOptions(d?.providerOptions, request.providerOptions);
  out += ',"responseFormat":' + canonical(pick(request.responseFormat, d?.responseFormat), 0);
  out += ',"rolloutId":' + canonical(pick(request.rolloutId, d?.rolloutId), 0);
  out += ',"stop":' + canonical(pick(request.stop, d?.stop), 0);
  out += ',"temperature":' + canonical(pick(request.temperature, d?.temperature), 0);
  // Written only when set, so that keys of requests without tools are what they always were.
  if (request.tools !== undefined) out += ',"tools":' + canonical(request.tools, 0);
  if (request.toolChoice !== undefined) out += ',"toolChoice":' + canonical(request.toolChoice, 0);
  if (request.parallelToolCalls !== undefined) out += ',"parallelToolCalls":' + canonical(request.parallelToolCalls, 0);
  out += ',"v":' + KEY_VERSION + "}";
  return out;
}

function pick<T>(value: T | undefined, fallback: T | undefined): T | undefined {
  return value === undefined ? fallback : value;
}

/** Provider options, request over defaults (shallow), without credential-bearing keys. */
function canonicalOptions(
  defaults: Record<string, unknown> | undefined,
  options: Record<string, unknown> | undefined,
): string {
  if (defaults === undefined && options === undefined) return "null";
  const merged: Record<string, unknown> = {};
  let any = false;
  for (const source of [defaults, options]) {
    if (source === undefined || source === null) continue;
    for (const k of Object.keys(source)) {
      if (EXCLUDED_OPTION_KEYS.has(k.toLowerCase())) continue;
      const v = source[k];
      if (v === undefined) continue;
      merged[k] = v;
      any = true;
    }
  }
  return any ? canonical(merged, 0) : "null";
}

/** JSON with sorted keys. Absent and undefined read the same: both are "not set". */
function canonical(value: unknown, depth: number): string {
  switch (typeof value) {
    case "string":
      return str(value);
    case "number":
      // Not JSON, but unambiguous: NaN and the infinities must not collide with null.
      if (Number.isFinite(value)) return Object.is(value, -0) ? "0" : String(value);
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString() + "n";
    case "undefined":
    case "function":
    case "symbol":
      return "null";
    default:
      break;
  }
  if (value === null) return "null";
  if (depth > MAX_DEPTH) {
    throw new CacheKeyError("The request is nested too deeply (or has a cycle) to derive a cache key", {
      context: { maxDepth: MAX_DEPTH },
      fix: "Pass plain JSON data in messages and providerOptions.",
    });
  }
  const obj = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === "function") return canonical(obj.toJSON(), depth + 1);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    let out = "[" + canonical(value[0], depth + 1);
    for (let i = 1; i < value.length; i++) out += "," + canonical(value[i], depth + 1);
    return out + "]";
  }
  // Chat messages are by far the commonest object; their key order is known, so skip the sort.
  const keys = Object.keys(obj);
  if (keys.length === 2 && isMessageKeys(keys)) {
    const content = obj["content"];
    const role = obj["role"];
    if (typeof content === "string" && typeof role === "string") {
      return '{"content":' + str(content) + ',"role":' + str(role) + "}";
    }
  }
  if (typeof obj["type"] === "string" && MEDIA_PARTS.has(obj["type"])) return mediaDigest(obj, depth);
  keys.sort();
  let out = "{";
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    if (!first) out += ",";
    first = false;
    out += JSON.stringify(k) + ":" + canonical(v, depth + 1);
  }
  return out + "}";
}

/**
 * A string value, length-prefixed instead of JSON-escaped. Escaping prompt text (newlines,
 * quotes) was half the cost of a key; a length prefix is just as unambiguous, needs no scan of
 * the text, and the hash then reads the prompt as it is.
 */
function str(value: string): string {
  // The hash reads the text as UTF-8, where every lone surrogate becomes U+FFFD, so "a\uD800"
  // and "a\uFFFD" would share a key (and one would get the other's answer). Such strings are
  // written JSON-escaped instead ("\ud800" stays six ASCII characters); the leading quote
  // cannot be mistaken for a length-prefixed string, so well-formed strings keep their keys.
  if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed()) return JSON.stringify(value);
  return "'" + value.length + ":" + value;
}

const MEDIA_PARTS = new Set(["image_url", "input_audio", "file"]);
const MEDIA_DIGESTS = new WeakMap<object, string>();

/**
 * A media part (image_url, input_audio, file) stands in the key as a digest of its canonical
 * text, so the hashed text stays short however large the data URI. Frozen parts (an Image's,
 * Audio's or File's own: see media/base.ts) keep their digest, so a megabyte image is hashed
 * once, not on every call that sends it; a part the caller could still change is read afresh.
 * "@" cannot start any other canonical value.
 */
function mediaDigest(part: Record<string, unknown>, depth: number): string {
  const frozen = Object.isFrozen(part);
  let digest = frozen ? MEDIA_DIGESTS.get(part) : undefined;
  if (digest === undefined) {
    const keys = Object.keys(part).sort();
    let text = "{";
    for (const k of keys) {
      if (part[k] === undefined) continue;
      text += (text === "{" ? "" : ",") + JSON.stringify(k) + ":" + canonical(part[k], depth + 1);
    }
    digest = "@" + sha256Hex(text + "}");
    if (frozen) MEDIA_DIGESTS.set(part, digest);
  }
  return digest;
}

function isMessageKeys(keys: string[]): boolean {
  const a = keys[0];
  const b = keys[1];
  return (a === "role" && b === "content") || (a === "content" && b === "role");
}
