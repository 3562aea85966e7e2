// The one function DSPy's runner.js imports from deno.land/std (io/mod.ts): `readLines`.
// Served from the worker's own files through an import map, so the sandbox starts where
// deno.land cannot be reached; the runner itself and its permissions stay DSPy's.
export async function* readLines(reader: {
  read(p: Uint8Array): Promise<number | null>;
}): AsyncIterableIterator<string> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let pending = "";
  while (true) {
    const n = await reader.read(buffer);
    if (n === null) break;
    pending += decoder.decode(buffer.subarray(0, n), { stream: true });
    let index = pending.indexOf("\n");
    while (index >= 0) {
      const line = pending.slice(0, index);
      pending = pending.slice(index + 1);
      yield line.endsWith("\r") ? line.slice(0, -1) : line;
      index = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending.length > 0) yield pending;
}
