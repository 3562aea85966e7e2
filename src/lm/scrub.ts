/**
 * Redaction of credentials from text we may show or keep (errors, logs, history).
 * Servers sometimes echo the key back, whole or partly masked ("sk-abc1****wxyz"),
 * so besides exact matches we also remove any long run of text copied from a secret.
 */

export const REDACTED = "[REDACTED]";

/** Shortest fragment of a secret that counts as leaking it. */
const MIN_FRAGMENT = 8;

/**
 * `fragments` (default true) also removes partial copies; it costs O(text x secret), so
 * callers scrubbing large texts (history of long prompts) may limit themselves to exact matches.
 */
export function scrubSecrets(
  text: string,
  secrets: readonly (string | undefined)[],
  options: { fragments?: boolean } = {},
): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < 4) continue;
    out = out.split(secret).join(REDACTED);
    if ((options.fragments ?? true) && secret.length >= MIN_FRAGMENT) out = scrubFragments(out, secret);
  }
  return out;
}

/** Headers that carry protocol settings, never credentials; everything else may be one. */
const PLAIN_HEADERS = new Set([
  "content-type",
  "accept",
  "accept-encoding",
  "accept-language",
  "user-agent",
  "anthropic-version",
  "anthropic-beta",
  "openai-beta",
]);

/**
 * The values of extra request headers, as secrets to scrub. Users pass keys this way
 * (`X-Api-Key`, a gateway's `Authorization`), and a server that echoes the request must not get
 * them into an error message. The credential after an auth scheme ("Bearer ...") counts alone too.
 */
export function headerSecrets(headers: Record<string, string> | undefined): string[] {
  if (headers === undefined) return [];
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string" || PLAIN_HEADERS.has(name.toLowerCase())) continue;
    out.push(value);
    const scheme = /^\s*[A-Za-z][\w-]*\s+(\S{4,})\s*$/.exec(value);
    if (scheme?.[1]) out.push(scheme[1]);
  }
  return out;
}

/** Replaces every maximal substring of `text` of length >= MIN_FRAGMENT that also occurs in `secret`. */
function scrubFragments(text: string, secret: string): string {
  let result = "";
  let i = 0;
  while (i < text.length) {
    let len = 0;
    while (i + len < text.length && secret.includes(text.slice(i, i + len + 1))) len++;
    if (len >= MIN_FRAGMENT) {
      result += REDACTED;
      i += len;
    } else {
      result += text[i];
      i++;
    }
  }
  return result;
}

/** Deep copy of a JSON-like value with every string scrubbed. */
export function scrubValue<T>(
  value: T,
  secrets: readonly (string | undefined)[],
  options: { fragments?: boolean } = {},
): T {
  if (typeof value === "string") return scrubSecrets(value, secrets, options) as T;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, options)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, secrets, options);
    return out as T;
  }
  return value;
}

/** A URL safe to show: no userinfo, no query string (either may carry credentials). */
export function safeURL(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return "<invalid URL>";
  }
}
