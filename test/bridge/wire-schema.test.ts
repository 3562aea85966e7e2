import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PythonError, type PythonPool } from "../../src/bridge/index.js";
import {
  type FromPython,
  type FromZygote,
  MESSAGE_KINDS,
  type ToPython,
  type ToZygote,
} from "../../src/bridge/messages.js";
import { checkShape, type Shape, wireTable } from "../../src/bridge/wire-schema.js";
import { TOOLS_CALLBACK } from "../../src/modules/python/react.js";
import { EMBED_CALLBACK } from "../../src/retrieve/python-retrievers.js";
import { startPlain } from "./helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CASES = JSON.parse(readFileSync(join(ROOT, "python", "tests", "wire_cases.json"), "utf8")).cases as {
  shape: Shape;
  value: unknown;
  ok: boolean;
}[];

// Every kind of each TS union is listed in MESSAGE_KINDS (which `satisfies` keeps inside the unions).
type Listed<D extends keyof typeof MESSAGE_KINDS> = (typeof MESSAGE_KINDS)[D][number];
type Covers<T extends never> = T;
export type AllKindsListed = [
  Covers<Exclude<ToPython["k"], Listed<"toPython">>>,
  Covers<Exclude<FromPython["k"], Listed<"fromPython">>>,
  Covers<Exclude<ToZygote["k"], Listed<"toZygote">>>,
  Covers<Exclude<FromZygote["k"], Listed<"fromZygote">>>,
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

describe("wire.json: one table of messages, tools and callbacks", () => {
  it("decides the cases both checkers share as the Python checker does", () => {
    for (const c of CASES) {
      const problem = checkShape(c.shape, c.value);
      assert.equal(problem === undefined, c.ok, `${JSON.stringify(c.shape)} ~ ${JSON.stringify(c.value)}: ${problem}`);
    }
  });

  it("lists the same message kinds as the typed union, per direction (zygote messages included)", () => {
    const table = wireTable();
    for (const direction of ["toPython", "fromPython", "toZygote", "fromZygote"] as const) {
      assert.deepEqual(Object.keys(table.messages[direction]).sort(), [...MESSAGE_KINDS[direction]].sort(), direction);
    }
  });

  it("lists every callback Node registers and every tool Node calls", () => {
    const callbacks = Object.keys(wireTable().callbacks);
    const tools = Object.keys(wireTable().tools);
    const registered = new Set<string>(["lm", TOOLS_CALLBACK, EMBED_CALLBACK]);
    const called = new Set<string>();
    for (const file of sources(join(ROOT, "src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/registerCallback\(\s*"([^"]+)"/g)) registered.add(m[1]!);
      // pool.call("tool", ...), session.call<T>("tool", ...), this.invoke<T>(pool, "tool", ...),
      // in the files that use a pool (others have calls of their own: Redis scripts).
      if (!/\bPythonPool\b|\bSession\b/.test(text)) continue;
      for (const m of text.matchAll(/(?:\.call|\.stream|\.invoke)(?:<[^(]*?>)?\(\s*(?:pool,\s*)?"([^"]+)"/g)) {
        called.add(m[1]!);
      }
    }
    assert.ok(registered.size >= 8, [...registered].join(", "));
    assert.ok(called.size >= 7, [...called].join(", "));
    for (const name of registered) assert.ok(callbacks.includes(name), `callback ${name} is not in wire.json`);
    for (const name of called) assert.ok(tools.includes(name), `tool ${name} is not in wire.json`);
  });

  describe("checked on the Node side, against a real worker", () => {
    let pool: PythonPool;
    before(async () => {
      pool = await startPlain({ name: "wire", size: 1 });
      pool.registerCallback("optimize.progress", () => null);
    });
    after(() => pool.close());

    it("refuses a listed callback whose arguments do not fit, before running it", async () => {
      let ran = 0;
      pool.registerCallback("optimize.embed", () => {
        ran++;
        return [];
      });
      const err = await pool
        .call("call_node", { name: "optimize.embed", args: { run: "r", texts: "not a list" } })
        .catch((e: unknown) => e);
      assert.ok(err instanceof PythonError, String(err));
      assert.match(err.message, /BadArguments.*args\.texts must be a list/s);
      assert.equal(ran, 0);
      assert.deepEqual(await pool.call("call_node", { name: "optimize.embed", args: { run: "r", texts: ["a"] } }), []);
      assert.equal(ran, 1);
    });
  });
});
