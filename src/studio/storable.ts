/**
 * What the studio keeps of a value: JSON text with the credentials taken out. Prompts and
 * outputs are kept; secrets never are. Two guards, because a secret can arrive two ways:
 * under a key that names it (an `authorization` header, an `apiKey` option), which is dropped
 * whatever its value; and as text (a key pasted into a question, echoed by a server), which the
 * project's one scrubber (lm/scrub.ts) replaces wherever the known secrets occur.
 */
import { REDACTED, scrubSecrets } from "../lm/scrub.js";

/** Keys whose values are credentials whatever they hold. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|headers|password|secret|token|access[-_]?token)$/i;

/** Environment variables that hold credentials (OPENAI_API_KEY, HF_TOKEN, AWS_SECRET_ACCESS_KEY...). */
const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i;

/** Media in data URIs is kept as its type and size: the store is for reading, not for replaying images. */
const DATA_URI = /^data:([^;,]+)[^,]*,/;

/** The credentials found in the environment: values of at least 8 characters under a secret-looking name. */
export function environmentSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= 8 && SECRET_ENV.test(name)) out.push(value);
  }
  return out;
}

/** JSON of `value` (Examples and Predictions as their fields), with secrets removed. */
export function storable(value: unknown, secrets: readonly string[]): string {
  const seen = new WeakSet<object>();
  const json = JSON.stringify(value, (key, v: unknown) => {
    if (key !== "" && SECRET_KEY.test(key)) return v === undefined ? undefined : REDACTED;
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "function" || typeof v === "symbol") return undefined;
    if (typeof v === "string") {
      const media = v.length > 256 ? DATA_URI.exec(v) : null;
      return media ? `[${media[1]} data, ${v.length} characters]` : v;
    }
    if (v instanceof AbortSignal) return undefined;
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (ArrayBuffer.isView(v)) return `[${v.byteLength} bytes]`;
    if (v !== null && typeof v === "object") {
      if (seen.has(v)) return "[repeated]";
      seen.add(v);
    }
    return v;
  });
  const text = json ?? "null";
  // Exact matches only: prompts can be long, and fragment search costs text x secret.
  return secrets.length === 0 ? text : scrubSecrets(text, secrets, { fragments: false });
}
