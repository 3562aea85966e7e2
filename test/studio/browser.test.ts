/**
 * The studio in a real browser (Debian's chromium through playwright-core), over real recorded
 * runs: a GEPA optimizer run and an Evaluate of its program, both against a loopback OpenAI
 * server, recorded by recordRuns(). Screenshots go to artifacts/studio/.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import type { PythonPool } from "../../src/bridge/pool.js";
import { Evaluate } from "../../src/evaluate/evaluate.js";
import type { Metric } from "../../src/evaluate/types.js";
import type { LM } from "../../src/lm/types.js";
import { Example } from "../../src/modules/example.js";
import { gepa } from "../../src/optimize/index.js";
import { configure, resetSettings } from "../../src/runtime/settings.js";
import { type Recording, recordRuns } from "../../src/studio/record-runs.js";
import { writeReport } from "../../src/studio/report.js";
import { serveStudio, type StudioServer } from "../../src/studio/server.js";
import type { Loopback } from "../helpers/loopback-openai.js";
import { CapitalQA, capitalExamples, startOptimizerPool } from "../optimize/helpers.js";
import { artifactsDir, capitalServer, chromiumPath } from "./helpers.js";

/** The part of a canvas element the pixel count reads (the tests compile without the DOM types). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

const DEVSET = [
  ...capitalExamples(["Norway", "Sweden", "Poland", "Ireland"]),
  new Example({ question: "What is the capital of Atlantis?", answer: "Poseidonia" }).withInputs("question"),
  new Example({ question: "What is the capital of Hungary?", answer: "Budapest" }).withInputs("question"),
];

describe("studio in chromium", () => {
  let server: Loopback;
  let lm: LM;
  let pool: PythonPool;
  let dir: string;
  let recording: Recording;
  let studio: StudioServer;
  let browser: Browser;
  let page: Page;
  let evalId: string;
  let gepaId: string;
  let evalRows: number;
  const shots = artifactsDir();

  before(async () => {
    const executablePath = chromiumPath();
    [{ server, lm }, pool] = await Promise.all([capitalServer(), startOptimizerPool()]);
    dir = mkdtempSync(join(tmpdir(), "dspex-studio-browser-"));
    recording = recordRuns({ path: join(dir, "runs.sqlite") });
    configure({ lm, cache: false });
    const { program } = await gepa(new CapitalQA(), capitalExamples(["France", "Italy", "Spain", "Germany"]), {
      pool,
      lm,
      reflectionLm: lm,
      maxMetricCalls: 24,
      reflectionMinibatchSize: 2,
      numThreads: 1,
      metric: (ex, pred) => {
        const ok = ex.answer === pred.answer;
        return { score: ok ? 1 : 0, feedback: ok ? "Correct." : `Wrong: the answer is ${String(ex.answer)}.` };
      },
    });
    const metric: Metric = (ex, pred) => {
      if (String(ex.question).includes("Hungary")) throw new Error("the metric failed on Hungary");
      return ex.answer === pred.answer;
    };
    const result = await new Evaluate({ devset: DEVSET, metric, concurrency: 2 }).run(program);
    evalRows = result.results.length;
    const runs = recording.store.runs();
    evalId = runs.find((r) => r.kind === "evaluate")!.id;
    gepaId = runs.find((r) => r.kind === "optimize")!.id;
    studio = await serveStudio({ store: recording.store, port: 0 });
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await studio?.close();
    recording?.stop();
    resetSettings();
    await Promise.all([server?.close(), pool?.close()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(hash: string): Promise<void> {
    // A fresh load each time: a goto that only changes the hash would keep the last view's state.
    await page.goto("about:blank");
    await page.goto(`${studio.url}${hash}`);
    await page.waitForSelector(`body[data-ready="${hash === "" ? "#/" : hash}"]`);
  }

  /** Non-blank pixels of every chart canvas on the page. */
  function inkedPixels(): Promise<number[]> {
    return page.$$eval(".chart canvas", (canvases) =>
      canvases.map((c) => {
        const canvas = c as unknown as CanvasLike;
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
        return inked;
      }),
    );
  }

  it("the runs list shows every recorded run", async () => {
    await open("");
    const rows = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-id")));
    assert.deepEqual(
      rows.sort(),
      recording.store
        .runs()
        .map((r) => r.id)
        .sort(),
    );
    assert.equal(rows.length, 2);
    await page.screenshot({ path: join(shots, "runs.png"), fullPage: true });
  });

  it("the evaluation table shows the recorded rows, filters and sorts them", async () => {
    await open("");
    await page.click(`#runs tr[data-id="${evalId}"]`);
    await page.waitForSelector(`body[data-ready="#/run/${evalId}"]`);
    const stored = recording.store.examples(evalId);
    assert.equal(stored.length, evalRows);
    const count = () => page.$$eval("#examples tbody tr", (trs) => trs.length);
    assert.equal(await count(), stored.length);
    assert.equal(await page.textContent("#shown"), `${stored.length} of ${stored.length} examples`);
    await page.screenshot({ path: join(shots, "evaluation.png"), fullPage: true });

    await page.selectOption("#show", "errors");
    assert.equal(await count(), stored.filter((e) => e.error !== null).length);
    assert.match((await page.textContent("#examples tbody")) ?? "", /the metric failed on Hungary/);
    await page.selectOption("#show", "all");
    await page.fill("#filter", "atlantis");
    assert.equal(await count(), 1);
    await page.fill("#filter", "");

    await page.click('#examples th[data-key="score"]');
    await page.click('#examples th[data-key="score"]');
    const scores = await page.$$eval("#examples tbody tr td:nth-child(5)", (tds) =>
      tds.map((td) => Number(td.textContent)),
    );
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    assert.equal(scores[0], 1);
    assert.equal(scores.at(-1), 0);
  });

  it("a trace expands on click: module -> LM calls with messages, tokens and latency", async () => {
    await open(`#/run/${evalId}`);
    await page.click("#examples tbody tr:first-child a.trace-link");
    await page.waitForSelector("#trace .node");
    const root = page.locator("#trace > .node");
    assert.equal(await root.getAttribute("data-kind"), "module");
    // The root opens itself; its children (the two predictors) are shown, their LM calls not yet.
    const predictors = root.locator(":scope > .children > .node");
    assert.equal(await predictors.count(), 2);
    assert.equal(await page.locator('.node[data-kind="lm"]').count(), 0);
    const first = predictors.first();
    await first.locator(":scope > .line").click();
    const lm = first.locator('.node[data-kind="lm"]').first();
    await lm.waitFor();
    assert.match((await lm.locator(":scope > .line").textContent()) ?? "", /11\+4 tokens/);
    await lm.locator(":scope > .line").click();
    const details = lm.locator(":scope > .details");
    assert.equal(await details.isVisible(), true);
    assert.ok((await details.locator(".msg").count()) >= 3, "system, user and the output");
    assert.match((await details.textContent()) ?? "", /What is the capital of/);
    await page.screenshot({ path: join(shots, "trace.png"), fullPage: true });
    // Clicking again folds it.
    await lm.locator(":scope > .line").click();
    assert.equal(await details.isVisible(), false);
  });

  it("the optimizer run: trial curve with the best so far, GEPA's Pareto front, the instruction diff", async () => {
    await open(`#/run/${gepaId}`);
    const trials = recording.store.trials(gepaId).filter((t) => t.score !== null);
    assert.ok(trials.length > 0, "GEPA reported scored evaluations");
    const charts = await page.evaluate(
      () =>
        (globalThis as unknown as { __studioCharts: { id: string; series: number; points: number }[] }).__studioCharts,
    );
    const curve = charts.find((c) => c.id === "trials-chart");
    assert.deepEqual(curve, { id: "trials-chart", series: 2, points: trials.length });
    const detail = JSON.parse(recording.store.run(gepaId)!.detail!);
    assert.ok(detail.scores.pareto, "GEPA's Pareto front was recorded");
    const pareto = charts.find((c) => c.id === "pareto-chart");
    assert.equal(pareto?.points, detail.scores.candidates.length);
    for (const inked of await inkedPixels()) assert.ok(inked > 500, `a chart is drawn (${inked} pixels)`);
    assert.equal(await page.locator("#pareto tbody tr").count(), detail.scores.candidates.length);
    assert.ok((await page.locator("#diff ins").count()) > 0, "the new instruction is shown as an insertion");
    const inserted = await page.$$eval("#diff ins", (nodes) => nodes.map((n) => n.textContent).join(""));
    assert.match(inserted, /capital-city expert/);
    await page.screenshot({ path: join(shots, "optimize.png"), fullPage: true });
  });

  it("--report's file: the same views from one self-contained file, with no request beyond it", async () => {
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    for (const [id, name] of [
      [evalId, "report-evaluation"],
      [gepaId, "report-optimize"],
    ] as const) {
      const file = writeReport(recording.store, [id], join(dir, `${name}.html`));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector("body[data-ready]");
      assert.notEqual(await page.getAttribute("body", "data-ready"), "error");
      if (id === evalId) assert.equal(await page.locator("#examples tbody tr").count(), evalRows);
      else for (const inked of await inkedPixels()) assert.ok(inked > 500);
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    }
    page.removeAllListeners("request");
    assert.deepEqual(
      requests.filter((u) => !u.startsWith("file:")),
      [],
    );
  });
});
