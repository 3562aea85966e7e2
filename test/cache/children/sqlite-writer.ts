/**
 * A separate process writing to a shared SQLite cache. It opens the store, says "ready", waits
 * for "go" on stdin (so that every writer starts at once), writes and reads, then prints a
 * JSON summary. Used by sqlite.test.ts.
 */
import { createInterface } from "node:readline";
import { SqliteStore } from "../../../src/cache/sqlite.js";

const [path, id, countText] = process.argv.slice(2);
if (path === undefined || id === undefined || countText === undefined) {
  throw new Error("usage: sqlite-writer.ts <path> <id> <count>");
}
const count = Number(countText);
const store = new SqliteStore({ path, busyTimeoutMs: 20_000 });
process.stdout.write("ready\n");

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line !== "go") continue;
  let errors = 0;
  let reads = 0;
  for (let i = 0; i < count; i++) {
    try {
      // Writes are batched: a failed batch rejects the promise of each of its writes.
      store
        .set(`${id}:${i}`, {
          outputs: [`${id}-${i}`],
          usage: { promptTokens: i, completionTokens: 1, totalTokens: i + 1 },
          model: "writer",
          cached: false,
        })
        .catch((error: unknown) => {
          errors++;
          process.stderr.write(`${String(error)}\n`);
        });
      // Read back an earlier entry of this writer, interleaving reads with the others' writes.
      if (store.get(`${id}:${Math.floor(i / 2)}`) !== undefined) reads++;
    } catch (error) {
      errors++;
      process.stderr.write(`${String(error)}\n`);
    }
  }
  store.close();
  // The last batch's promises settle after close() wrote it.
  await new Promise((resolve) => setImmediate(resolve));
  process.stdout.write(`${JSON.stringify({ id, written: count - errors, reads, errors })}\n`);
  break;
}
lines.close();
