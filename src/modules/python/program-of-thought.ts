/**
 * DSPy's ProgramOfThought, run in a worker. The code the LM writes runs only in DSPy's sandbox
 * (Pyodide inside Deno, no file, network or env access); never in the worker's own Python. With
 * no Deno binary the call fails with SandboxUnavailableError before anything runs.
 */
import { ConfigurationError } from "../../errors.js";
import type { InputsOf, OutputsOf, SignatureInput } from "../../signature/infer.js";
import { Signature } from "../../signature/signature.js";
import type { Prediction } from "../prediction.js";
import { findDeno } from "./deno.js";
import { SandboxError, SandboxLimitError, SandboxUnavailableError } from "./errors.js";
import { isPythonError, PythonModule, type PythonModuleOptions, signatureToWire } from "./python-module.js";

export interface ProgramOfThoughtOptions extends PythonModuleOptions {
  /** Retries of code generation after an error (DSPy's default: 3). */
  maxIters?: number;
  /** The Deno binary; default: DSPEX_DENO, the npm package `deno`, or `deno` on PATH. */
  deno?: string;
  /** Longest one run of generated code may take before its sandbox is killed (default 30,000 ms). */
  timeLimitMs?: number;
  /** Most resident memory the sandbox may use before it is killed (default 1,024 MiB; Pyodide alone takes ~150). */
  memoryLimitMb?: number;
}

const FIX =
  "install the Deno binary with `npm i -E deno@2.9.6` (the package ships it), or set DSPEX_DENO=/path/to/deno, " +
  "or pass { deno } to ProgramOfThought; code is never run without the sandbox";

const DENO = Symbol("deno");
const TIME_LIMIT_MS = Symbol("timeLimitMs");
const MEMORY_LIMIT_MB = Symbol("memoryLimitMb");

export class ProgramOfThought<const S extends SignatureInput = string> extends PythonModule<InputsOf<S>, OutputsOf<S>> {
  protected readonly kind = "program_of_thought";
  readonly signature: Signature;
  readonly maxIters: number;
  readonly [DENO]: string | undefined;
  readonly [TIME_LIMIT_MS]: number | undefined;
  readonly [MEMORY_LIMIT_MB]: number | undefined;

  constructor(signature: S, options: ProgramOfThoughtOptions = {}) {
    super(options);
    this.signature = Signature.from(signature);
    this.maxIters = options.maxIters ?? 3;
    this[DENO] = options.deno;
    for (const [name, value] of [
      ["timeLimitMs", options.timeLimitMs],
      ["memoryLimitMb", options.memoryLimitMb],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new ConfigurationError(`ProgramOfThought's ${name} must be a positive number, got ${String(value)}`);
      }
    }
    this[TIME_LIMIT_MS] = options.timeLimitMs;
    this[MEMORY_LIMIT_MB] = options.memoryLimitMb;
  }

  /** The Deno binary the sandbox will use; throws SandboxUnavailableError when there is none. */
  denoPath(): string {
    const deno = this[DENO] ?? findDeno();
    if (!deno) {
      throw new SandboxUnavailableError("ProgramOfThought needs DSPy's Deno sandbox, and no Deno binary was found", {
        fix: FIX,
      });
    }
    return deno;
  }

  override forward(inputs: InputsOf<S>): Promise<Prediction<OutputsOf<S>>> {
    this.denoPath();
    return super.forward(inputs);
  }

  protected spec(): Record<string, unknown> {
    return {
      signature: signatureToWire(this.signature),
      max_iters: this.maxIters,
      deno: this.denoPath(),
      time_limit_s: this[TIME_LIMIT_MS] === undefined ? null : this[TIME_LIMIT_MS] / 1000,
      memory_limit_mb: this[MEMORY_LIMIT_MB] ?? null,
    };
  }

  protected override translateError(error: unknown): unknown {
    if (isPythonError(error, "SandboxLimitExceeded")) {
      const limit = /memory limit/.test(error.pythonMessage) ? "memory" : "time";
      return new SandboxLimitError(`ProgramOfThought: ${error.pythonMessage}`, limit, {
        cause: error,
        fix: `raise ${limit === "time" ? "timeLimitMs" : "memoryLimitMb"} if the code really needs more, or change the instructions`,
      });
    }
    if (isPythonError(error, "SandboxExited")) {
      return new SandboxError(`ProgramOfThought: ${error.pythonMessage}`, {
        cause: error,
        fix: "the generated code must not call Deno.exit() or otherwise end its sandbox",
      });
    }
    if (isPythonError(error, "SandboxUnavailable", "CodeInterpreterError")) {
      return new SandboxUnavailableError(`DSPy's sandbox could not run: ${error.pythonMessage}`, {
        cause: error,
        context: { deno: this[DENO] ?? findDeno() },
        fix: FIX,
      });
    }
    return error;
  }
}
