import { MediaError } from "./base.js";

export interface FetchOptions {
  /** Per download (default 30 s, as DSPy's from_url). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** GETs an http(s) URL; DSPy's `requests.get(...).raise_for_status()` with a timeout. */
export async function fetchBytes(
  url: string,
  what: string,
  options: FetchOptions = {},
): Promise<{ bytes: Uint8Array; contentType: string }> {
  if (!isHttpURL(url)) {
    throw new MediaError(`${what}.fromUrl needs an http(s) URL, got ${JSON.stringify(url.slice(0, 80))}`, {
      fix: `use ${what}.fromPath() for a local file`,
    });
  }
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: "follow" });
  } catch (error) {
    throw new MediaError(`Could not download ${url}: ${(error as Error).message}`, { cause: error, context: { url } });
  }
  if (!response.ok) {
    throw new MediaError(`Downloading ${url} failed with HTTP ${response.status}`, {
      context: { url, status: response.status },
    });
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { bytes, contentType: response.headers.get("content-type") ?? "" };
}

export function isHttpURL(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.host !== "";
  } catch {
    return false;
  }
}

/** DSPy's `is_url`: an http, https or gs URL with a host. */
export function isRemoteURL(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:" || u.protocol === "gs:") && u.host !== "";
  } catch {
    return false;
  }
}
