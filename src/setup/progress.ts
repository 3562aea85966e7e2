/**
 * One progress bar per set-up step on a terminal; plain lines elsewhere (CI logs, pipes), so
 * the log says what ran and how long it took either way.
 */
import type * as CliProgress from "cli-progress";
import { onFirstUse } from "../lazy.js";

/** Loaded with the first bar drawn: importing DSPex (which exports setup()) never loads it. */
const cliProgress = onFirstUse<typeof CliProgress>("cli-progress");

export interface StepReporter {
  /** Moves the bar to `done` of the step's `total` stages and names the current one. */
  update(done: number, stage: string): void;
  /** Ends the step with a one-line summary. */
  finish(summary: string): void;
}

export interface Progress {
  step(name: string, total: number): StepReporter;
  log(line: string): void;
}

export function consoleProgress(stream: NodeJS.WriteStream = process.stderr, bars = stream.isTTY === true): Progress {
  const log = (line: string) => stream.write(`${line}\n`);
  return {
    log,
    step(name, total) {
      const started = Date.now();
      const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
      if (!bars) {
        return {
          update: (_done, stage) => log(`setup: ${name}: ${stage}`),
          finish: (summary) => log(`setup: ${name}: ${summary} (${seconds()} s)`),
        };
      }
      const { Presets, SingleBar } = cliProgress();
      const bar = new SingleBar(
        {
          format: `${name.padEnd(22)} [{bar}] {value}/{total} {stage}`,
          stream,
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      );
      bar.start(total, 0, { stage: "" });
      return {
        update: (done, stage) => bar.update(done, { stage }),
        finish: (summary) => {
          bar.update(total, { stage: "" });
          bar.stop();
          log(`setup: ${name}: ${summary} (${seconds()} s)`);
        },
      };
    },
  };
}

/** For callers (and tests) that want set-up quiet: records the lines instead. */
export function silentProgress(lines: string[] = []): Progress {
  return {
    log: (line) => lines.push(line),
    step: (name) => ({ update: () => undefined, finish: (summary) => lines.push(`${name}: ${summary}`) }),
  };
}
