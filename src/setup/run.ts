import { spawn } from "node:child_process";
import { SetupError } from "./errors.js";

/** Runs a command, keeping the last lines of its output for the error when it fails. */
export function runCommand(
  step: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; fix?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const keep = (d: Buffer) => {
      out = (out + d.toString("utf8")).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (error) =>
      reject(new SetupError(step, `cannot run ${command}: ${error.message}`, { cause: error, ...fixOf(options) })),
    );
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else {
        const tail = out.trim().split("\n").slice(-15).join("\n");
        reject(
          new SetupError(step, `\`${command} ${args.join(" ")}\` exited with ${code}\n${tail}`, {
            context: { exitCode: code },
            ...fixOf(options),
          }),
        );
      }
    });
  });
}

function fixOf(options: { fix?: string }): { fix?: string } {
  return options.fix === undefined ? {} : { fix: options.fix };
}
