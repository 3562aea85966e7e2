/**
 * Child process for the no-orphans tests: starts a pool, prints its worker pids as one JSON
 * line (and its fork server's, if any), then ends the way argv[2] says (the parent test may also
 * SIGKILL it). The start mode comes from DSPEX_START_MODE.
 */
import { PythonPool, silentLogger } from "../../src/bridge/index.js";

const mode = process.argv[2] ?? "wait";
const pool = await PythonPool.start({
  name: "orphan",
  size: 2,
  importDspy: false,
  testTools: true,
  logger: silentLogger,
});
// Keep a call in flight so the workers are busy when the end comes.
pool.call("sleep", { seconds: 60 }).catch(() => {});
const stats = pool.stats();
const pids = stats.workers.map((w) => w.pid);
process.stdout.write(
  `${JSON.stringify({ pids, forkServer: stats.forkServerPid ?? null, socket: stats.forkServerSocket ?? null })}\n`,
);

if (mode === "exit") process.exit(0);
if (mode === "throw")
  setTimeout(() => {
    throw new Error("uncaught on purpose");
  }, 10);
if (mode === "close") await pool.close();
// "wait": stay alive until the parent kills us.
if (mode === "wait") setInterval(() => {}, 1000);
