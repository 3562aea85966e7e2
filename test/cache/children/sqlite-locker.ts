/**
 * Holds an exclusive SQLite lock from another process: opens the file (creating a table if
 * asked), runs BEGIN EXCLUSIVE and a write, says "locked", and keeps the lock until stdin
 * closes. Used by cache.test.ts to give the cache a real lock to run into.
 */
import Database from "better-sqlite3";

const [path, mode] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: sqlite-locker.ts <path> [create]");
const db = new Database(path);
if (mode === "create") db.exec("CREATE TABLE IF NOT EXISTS other (x INTEGER)");
db.exec("BEGIN EXCLUSIVE");
db.exec("CREATE TABLE IF NOT EXISTS held (x INTEGER); INSERT INTO held VALUES (1)");
process.stdout.write("locked\n");
process.stdin.resume();
process.stdin.on("end", () => {
  db.exec("ROLLBACK");
  db.close();
  process.exit(0);
});
