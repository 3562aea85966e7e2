/**
 * Chaos: a pool of 3 serves thousands of concurrent calls while one of its workers is SIGKILLed
 * every 200 ms for 10 s, with the default restart settings. Every call must end either with the
 * right answer or with a typed bridge error (none lost, none wrong), and the pool must serve
 * normally afterwards: the restart budget pauses restarts during the storm, it does not end the pool.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BridgeError } from "../../src/bridge/index.js";
import { sleep, startPlain, waitFor } from "./helpers.js";

const CHAOS_MS = 10_000;
const KILL_EVERY_MS = 200;
const LANES = 64;
const LOST_AFTER_MS = 60_000;

describe("chaos", () => {
  it("SIGKILL a worker every 200 ms for 10 s under load: 0 lost, 0 wrong, every failure typed, then normal service", async () => {
    const pool = await startPlain({ name: "chaos", size: 3, concurrency: 8 });
    const counts = { ok: 0, wrong: 0, typed: 0, untyped: 0, lost: 0, ticks: 0, kills: 0 };
    const typedKinds = new Map<string, number>();
    const untyped: string[] = [];
    try {
      const chaosEnds = Date.now() + CHAOS_MS;
      // The killer's timer lags on a loaded machine: the chaos lasts 10 s and at least the 50
      // ticks that 10 s of 200 ms should give, however long those take.
      const TICKS = CHAOS_MS / KILL_EVERY_MS;
      const chaosGoesOn = (): boolean => Date.now() < chaosEnds || counts.ticks < TICKS;
      // Any worker with a process, starting ones included. While the pool pauses restarts after a
      // storm there may be none: those ticks kill nothing.
      const killer = setInterval(() => {
        counts.ticks++;
        const live = pool.stats().workers.filter((w) => w.pid !== undefined && w.state !== "dead");
        const victim = live[Math.floor(Math.random() * live.length)];
        if (!victim) return;
        try {
          process.kill(victim.pid!, "SIGKILL");
          counts.kills++;
        } catch {
          // already gone
        }
      }, KILL_EVERY_MS);
      const lane = async (id: number): Promise<void> => {
        for (let i = 0; chaosGoesOn(); i++) {
          const payload = { lane: id, i, text: `payload ${id}/${i}` };
          let timer: NodeJS.Timeout | undefined;
          const lost = new Promise<"lost">((resolve) => {
            timer = setTimeout(() => resolve("lost"), LOST_AFTER_MS);
          });
          const outcome = await Promise.race([
            pool.call("echo", payload, { idempotent: i % 2 === 0 }).then(
              (value) => ({ value }),
              (error: unknown) => ({ error }),
            ),
            lost,
          ]);
          clearTimeout(timer);
          if (outcome === "lost") counts.lost++;
          else if ("value" in outcome) {
            if (JSON.stringify(outcome.value) === JSON.stringify(payload)) counts.ok++;
            else counts.wrong++;
          } else if (outcome.error instanceof BridgeError) {
            counts.typed++;
            const name = outcome.error.name;
            typedKinds.set(name, (typedKinds.get(name) ?? 0) + 1);
            await sleep(5); // a paused pool refuses at once; do not spin
          } else {
            counts.untyped++;
            untyped.push(String(outcome.error));
          }
        }
      };
      await Promise.all(Array.from({ length: LANES }, (_, id) => lane(id)));
      clearInterval(killer);

      const recovered = await waitFor(
        () => pool.stats().state === "running" && pool.stats().workers.filter((w) => w.state === "ready").length === 3,
        60_000,
        50,
      );
      assert.ok(recovered, `the pool came back: ${JSON.stringify(pool.stats().state)}`);
      const after = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.call("echo", { after: i })));
      assert.deepEqual(
        after,
        Array.from({ length: 1000 }, (_, i) => ({ after: i })),
      );
      console.log(
        `chaos: ${JSON.stringify({ ...counts, calls: counts.ok + counts.wrong + counts.typed + counts.untyped + counts.lost, typedKinds: Object.fromEntries(typedKinds), restarts: pool.stats().restarts })}`,
      );
      assert.deepEqual(untyped.slice(0, 5), []);
      assert.equal(counts.lost, 0);
      assert.equal(counts.wrong, 0);
      assert.ok(counts.ticks >= TICKS && counts.kills >= 10, `ticks ${counts.ticks}, kills ${counts.kills}`);
      assert.ok(counts.ok + counts.typed >= 2000, `calls: ${JSON.stringify(counts)}`);
    } finally {
      await pool.close();
    }
  });
});
