/**
 * Draws a pipeline's progress events as a step tree: each step running or done, its time, LM
 * calls and tokens, children under their parallel/branch step. On a terminal it redraws in
 * place (and ticks the running steps' clocks); elsewhere it prints nothing until `finish()`,
 * then one compact tree, so a log gets a summary instead of a wall of lines.
 */
import type { PipelineEvent, StepReport } from "../pipeline/types.js";

interface Node {
  name: string;
  status: "running" | StepReport["status"];
  started: number;
  report: StepReport | undefined;
  children: Node[];
}

export interface StepTreeOptions {
  /** Where to draw; default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Redraw in place; default: whether the stream is a terminal. */
  live?: boolean;
  title?: string;
  /** Colour and symbols; default on for a terminal. */
  color?: boolean;
}

const SPIN = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class StepTree {
  readonly #roots: Node[] = [];
  readonly #byPath = new Map<string, Node>();
  readonly #stream: NodeJS.WritableStream;
  readonly #live: boolean;
  readonly #color: boolean;
  readonly #title: string | undefined;
  #drawnLines = 0;
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: StepTreeOptions = {}) {
    const stream = options.stream ?? process.stderr;
    this.#stream = stream;
    this.#live = options.live ?? stream.isTTY === true;
    this.#color = options.color ?? stream.isTTY === true;
    this.#title = options.title;
  }

  /** Feed every event of a run (a PipelineModule's onProgress, or RunOptions.onProgress). */
  readonly handle = (event: PipelineEvent): void => {
    const key = event.path.join("\u0000");
    if (event.type === "step-start") {
      const node: Node = { name: event.step, status: "running", started: Date.now(), report: undefined, children: [] };
      this.#byPath.set(key, node);
      const parent = this.#byPath.get(event.path.slice(0, -1).join("\u0000"));
      (event.path.length > 1 && parent ? parent.children : this.#roots).push(node);
      if (this.#live && this.#timer === undefined) {
        this.#timer = setInterval(() => this.#redraw(), 120);
        this.#timer.unref();
      }
    } else {
      const node = this.#byPath.get(key);
      if (node) {
        node.status = event.report.status;
        node.report = event.report;
      }
    }
    if (this.#live) this.#redraw();
  };

  /** Stops redrawing and leaves the final tree on screen (or prints it, off a terminal). */
  finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#live) this.#redraw();
    else this.#stream.write(`${this.render()}\n`);
  }

  /** The tree as text (no cursor movement). */
  render(): string {
    const lines: string[] = this.#title ? [this.#title] : [];
    const width = Math.max(12, ...this.#flatten(this.#roots, 0).map(([n, depth]) => n.name.length + depth * 3));
    const walk = (nodes: Node[], prefix: string, depth: number) => {
      nodes.forEach((node, i) => {
        const last = i === nodes.length - 1;
        const branch = depth === 0 ? "" : last ? "└─ " : "├─ ";
        const label = `${prefix}${branch}${node.name}`;
        lines.push(`${this.#symbol(node)} ${label.padEnd(width + 1)} ${this.#figures(node)}`);
        walk(node.children, depth === 0 ? "" : `${prefix}${last ? "   " : "│  "}`, depth + 1);
      });
    };
    walk(this.#roots, "", 0);
    return lines.join("\n");
  }

  #flatten(nodes: Node[], depth: number): [Node, number][] {
    return nodes.flatMap((n) => [[n, depth] as [Node, number], ...this.#flatten(n.children, depth + 1)]);
  }

  #symbol(node: Node): string {
    const paint = (code: number, s: string) => (this.#color ? `\x1b[${code}m${s}\x1b[0m` : s);
    if (node.status === "running") return paint(36, this.#color ? SPIN[this.#tick % SPIN.length]! : "…");
    if (node.status === "ok") return paint(32, this.#color ? "✔" : "ok");
    if (node.status === "failed") return paint(31, this.#color ? "✖" : "!!");
    return paint(90, "-");
  }

  #figures(node: Node): string {
    const r = node.report;
    if (r === undefined) return `running ${seconds(Date.now() - node.started)}`;
    const calls = r.lmCalls === 0 ? "no LM calls" : `${r.lmCalls} LM call${r.lmCalls === 1 ? "" : "s"}`;
    const cached = r.cachedCalls > 0 ? ` (${r.cachedCalls} cached)` : "";
    const failed = r.error ? `  ${r.error.slice(0, 80)}` : "";
    return `${seconds(r.latencyMs).padStart(7)}  ${calls}${cached}, ${r.tokens} tokens${failed}`;
  }

  #redraw(): void {
    this.#tick++;
    const text = this.render();
    // Up to the first line drawn last time, clear to the end, draw again.
    const up = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}F\x1b[0J` : "";
    this.#stream.write(`${up}${text}\n`);
    this.#drawnLines = text.split("\n").length;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Per-step totals over many runs (an evaluation), as StepReports whose figures are sums. */
export class StepTotals {
  readonly #totals = new Map<string, StepReport & { runs: number }>();
  readonly #order: string[] = [];

  /** Add one run's top-level reports. */
  add(reports: readonly StepReport[]): void {
    const visit = (r: StepReport, path: string) => {
      const key = path ? `${path}\u0000${r.name}` : r.name;
      let t = this.#totals.get(key);
      if (t === undefined) {
        t = { name: r.name, status: "ok", latencyMs: 0, lmCalls: 0, cachedCalls: 0, tokens: 0, runs: 0 };
        this.#totals.set(key, t);
        this.#order.push(key);
      }
      t.runs++;
      t.latencyMs += r.latencyMs;
      t.lmCalls += r.lmCalls;
      t.cachedCalls += r.cachedCalls;
      t.tokens += r.tokens;
      if (r.status === "failed") t.status = "failed";
      for (const c of r.children ?? []) visit(c, key);
    };
    for (const r of reports) visit(r, "");
  }

  /** Totals as a tree of events, to draw with a StepTree (names carry the run count, "refine ×30"). */
  events(): PipelineEvent[] {
    const label = (key: string) => {
      const t = this.#totals.get(key)!;
      return `${t.name} ×${t.runs}`;
    };
    return this.#order.flatMap((key): PipelineEvent[] => {
      const parts = key.split("\u0000");
      const path = parts.map((_, i) => label(parts.slice(0, i + 1).join("\u0000")));
      const { runs: _runs, ...report } = this.#totals.get(key)!;
      const at = { step: path.at(-1)!, path, index: 0, total: 0 };
      return [
        { type: "step-start", ...at },
        { type: "step-end", ...at, report },
      ];
    });
  }

  /** Per-step totals by path ("retrieve/sqlite-fts"), for reports. */
  table(): { path: string; runs: number; ms: number; lmCalls: number; cachedCalls: number; tokens: number }[] {
    return this.#order.map((key) => {
      const t = this.#totals.get(key)!;
      return {
        path: key.split("\u0000").join("/"),
        runs: t.runs,
        ms: t.latencyMs,
        lmCalls: t.lmCalls,
        cachedCalls: t.cachedCalls,
        tokens: t.tokens,
      };
    });
  }
}
