/**
 * The main job (`npm start`): fully offline, end to end. Runs the research assistant on the
 * embedded model with real retrieval, evaluates it on a dev set, optimizes it with DSPy's
 * BootstrapFewShot through the Python worker pool, evaluates again and saves the optimized
 * program in DSPy's format.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MultiBar, Presets } from "cli-progress";
import {
  bootstrapFewShot,
  closeSharedPools,
  configure,
  Evaluate,
  Example,
  local,
  UsageTracker,
  context,
} from "../src/index.js";
import { unloadLocalModels } from "../src/lm/index.js";
import { unloadLocalEmbedders } from "../src/retrieve/index.js";
import { answerContains, corpusRetriever, loadJSONL, ResearchAssistant } from "./research-assistant.js";

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
type QA = { question: string; answer: string };
const toExamples = (rows: QA[]) => rows.map((r) => new Example(r).withInputs("question"));
const trainset = toExamples(loadJSONL<QA>("qa-train.jsonl"));
const devset = toExamples(loadJSONL<QA>("qa-dev.jsonl"));

// The embedded model under DSPy's default ChatAdapter: the local provider decodes each reply
// under a grammar of the adapter's layout (typed values, bounded text; see local-chat-grammar.ts).
const lm = local();
const usage = new UsageTracker();
configure({ lm, usage });
console.log(`DSPex research assistant — model ${lm.model}, ${trainset.length} train / ${devset.length} dev examples\n`);

/** Live bars on a terminal; plain lines in a log (cli-progress cannot redraw there). */
interface Progress {
  update(value: number, info: string): void;
}
const tty = process.stderr.isTTY === true;
const bars = tty
  ? new MultiBar(
      {
        format: " {label} [{bar}] {value}/{total} {info}",
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: true,
      },
      Presets.shades_classic,
    )
  : undefined;
function progress(label: string, total: number): Progress {
  const bar = bars?.create(total, 0, { label: label.padEnd(18), info: "" });
  return {
    update(value, info) {
      if (bar) bar.update(value, { info });
      else if (value === total) console.error(` ${label}: ${value}/${total} ${info}`);
    },
  };
}

async function score(label: string, program: ResearchAssistant): Promise<number> {
  const bar = progress(label, devset.length);
  const result = await new Evaluate({ devset, metric: answerContains, concurrency: 4, maxErrors: devset.length }).run(
    program,
    { onProgress: (e) => e.done < devset.length && bar.update(e.done, `score ${e.score.toFixed(1)}%`) },
  );
  bar.update(devset.length, `score ${result.score}% (${result.errors} errors)`);
  return result.score;
}

// 1. One question end to end, to show each stage.
const program = new ResearchAssistant(corpusRetriever());
const demo = await context({ usage: new UsageTracker() }, () =>
  program.call({ question: "Which planet is the largest in the Solar System?" }),
);
console.log("One question, end to end:");
console.log(`  search query : ${String(demo.search_query)}`);
console.log(`  sources      : ${(demo.sources as string[]).join(", ")}`);
console.log(`  answer       : ${String(demo.answer)}  (citations ${JSON.stringify(demo.citations)})\n`);

// 2. Evaluate, 3. optimize with DSPy's BootstrapFewShot in the Python pool, 4. evaluate again.
const before = await score("dev before", program);
const optBar = progress("bootstrapFewShot", trainset.length);
let seen = 0;
const { program: optimized, report } = await bootstrapFewShot(program, trainset, {
  metric: answerContains,
  maxBootstrappedDemos: 2,
  maxLabeledDemos: 2,
  maxRounds: 1,
  factory: () => new ResearchAssistant(corpusRetriever()),
  onProgress: (p) => optBar.update(Math.min(trainset.length - 1, ++seen), p.message ?? ""),
});
optBar.update(trainset.length, `${report.lmCalls} LM calls, ${(report.elapsedMs / 1000).toFixed(1)} s`);
const after = await score("dev after", optimized);
bars?.stop();

const outDir = join(import.meta.dirname, "out");
mkdirSync(outDir, { recursive: true });
const saved = join(outDir, "research-assistant.json");
await optimized.save(saved);

const demos = optimized
  .namedPredictors()
  .map(([name, p]) => `${name}: ${(p as unknown as { demos: unknown[] }).demos.length}`);
const total = usage.snapshot().total;
console.log(`
Summary
  dev score      : ${before}% before  ->  ${after}% after bootstrapFewShot
  demos          : ${demos.join(", ")}
  LM calls       : ${total.calls} (${total.cachedCalls} from cache), ${total.totalTokens} tokens — all served by Node
  saved          : ${saved} (DSPy's JSON save format)
  elapsed        : ${seconds()} s`);

await closeSharedPools();
await unloadLocalEmbedders();
await unloadLocalModels();
