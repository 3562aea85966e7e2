import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { RunStore } from "../../src/studio/store.js";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "dspex-cli-studio-"));
writeFileSync(join(dir, "package.json"), '{"type": "module"}');
const PROGRAM = join(dir, "qa.ts");
writeFileSync(
  PROGRAM,
  `import { Predict, ScriptedLM } from ${JSON.stringify(join(root, "src/index.ts"))};
export const lm = new ScriptedLM({ "": { answer: "Paris" } });
export const inputKeys = ["question"];
export default new Predict("question -> answer");
`,
);
writeFileSync(join(dir, "dev.jsonl"), '{"question": "a?", "answer": "Paris"}\n{"question": "b?", "answer": "Rome"}\n');

function env(store: string) {
  return { ...process.env, DSPEX_CACHE_DIR: dir, DSPEX_STUDIO_STORE: store };
}
function cli(store: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: root,
    env: env(store),
  });
}

describe("dspex CLI: recording, --report and dspex studio", () => {
  it("eval records its run by default and --report writes the views into one file", () => {
    const store = join(dir, "eval.sqlite");
    const report = join(dir, "out", "eval.html");
    const r = cli(store, "eval", PROGRAM, join(dir, "dev.jsonl"), "--report", report, "--json");
    assert.equal(r.status, 0, r.stderr);
    const runs = new RunStore(store);
    try {
      const [run, ...rest] = runs.runs();
      assert.equal(rest.length, 0);
      assert.equal(run!.kind, "evaluate");
      assert.equal(run!.score, 50);
      assert.equal(runs.examples(run!.id).length, 2);
      const html = readFileSync(report, "utf8");
      assert.match(html, /window\.__DSPEX_DATA__ = /);
      assert.ok(html.includes(run!.id), "the report holds the run");
      assert.match(html, /uPlot/, "uPlot is inlined");
      assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, "nothing is loaded from elsewhere");
    } finally {
      runs.close();
    }
  });

  it("optimize records the optimizer run with the program before and after, and --report writes it", () => {
    const store = join(dir, "optimize.sqlite");
    const report = join(dir, "optimize.html");
    writeFileSync(
      join(dir, "train.jsonl"),
      '{"question": "a?", "answer": "Paris"}\n{"question": "b?", "answer": "Rome"}\n',
    );
    const out = join(dir, "optimized.json");
    const r = cli(
      store,
      "optimize",
      PROGRAM,
      join(dir, "train.jsonl"),
      "--optimizer",
      "labeledFewShot",
      "--out",
      out,
      "--report",
      report,
      "--json",
    );
    assert.equal(r.status, 0, r.stderr);
    const runs = new RunStore(store);
    try {
      const [run, ...rest] = runs.runs();
      assert.equal(rest.length, 0);
      assert.equal(run!.kind, "optimize");
      assert.equal(run!.name, "LabeledFewShot");
      type State = { self: { demos: unknown[] } };
      const detail = JSON.parse(run!.detail!) as { before: State; after: State };
      assert.equal(detail.before.self.demos.length, 0);
      assert.equal(detail.after.self.demos.length, 2);
      assert.ok(readFileSync(report, "utf8").includes(run!.id));
    } finally {
      runs.close();
    }
  });

  it("--no-record records nothing; --report still works from memory", () => {
    const store = join(dir, "none.sqlite");
    const report = join(dir, "none.html");
    const r = cli(store, "eval", PROGRAM, join(dir, "dev.jsonl"), "--no-record", "--report", report, "--json");
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(store), false);
    assert.match(readFileSync(report, "utf8"), /"kind":"evaluate"/);
  });

  it("run records the program call with its LM call", () => {
    const store = join(dir, "run.sqlite");
    const r = cli(store, "run", PROGRAM, "--input", "question=Capital of France?", "--json");
    assert.equal(r.status, 0, r.stderr);
    const runs = new RunStore(store);
    try {
      const [run] = runs.runs();
      assert.equal(run!.kind, "program");
      assert.deepEqual(
        runs.spans(run!.id).map((s) => s.kind),
        ["module", "lm"],
      );
    } finally {
      runs.close();
    }
  });

  it("--report on run is a usage error", () => {
    const r = cli(join(dir, "x.sqlite"), "run", PROGRAM, "--input", "question=a", "--report", join(dir, "x.html"));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--report is for eval and optimize/);
  });

  it("dspex studio serves the runs on 127.0.0.1 and stops on SIGTERM", async () => {
    const store = join(dir, "eval.sqlite");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(root, "src/cli/main.ts"), "studio", "--port", "0", "--json"],
      {
        cwd: root,
        env: env(store),
      },
    );
    try {
      const line = await new Promise<string>((ok, fail) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes("\n")) ok(out.split("\n")[0]!);
        });
        child.once("exit", (code) => fail(new Error(`studio exited with ${code}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const runs = (await (await fetch(`${url}api/runs`)).json()) as { id: string; kind: string }[];
      assert.deepEqual(
        runs.map((r) => r.kind),
        ["evaluate"],
      );
      const one = (await (await fetch(`${url}api/runs/${runs[0]!.id}`)).json()) as { examples: unknown[] };
      assert.equal(one.examples.length, 2);
      assert.equal((await fetch(`${url}api/runs/nope`)).status, 404);
      assert.match(await (await fetch(url)).text(), /<main id="app">/);
    } finally {
      const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    }
  });
});
