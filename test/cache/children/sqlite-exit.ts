/**
 * Writes one entry and exits at once with process.exit(), before the batch's turn of the event
 * loop comes: the store's exit hook must still put it in the file. Used by sqlite.test.ts.
 */
import { SqliteStore } from "../../../src/cache/sqlite.js";

const [path] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: sqlite-exit.ts <path>");
const store = new SqliteStore({ path });
void store.set("written-before-exit", {
  outputs: ["kept"],
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
  model: "m",
  cached: false,
});
process.exit(0);
