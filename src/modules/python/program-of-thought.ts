/**
 * DSPy's ProgramOfThought, run in a worker. The code the LM writes runs only in DSPy's sandbox
 * (Pyodide inside Deno, no file, network or env access); never in the worker's own Python. With
 * no Deno binary the call fails with SandboxUnavailableError before anything runs.
 */
import type { InputsOf, OutputsOf, SignatureInput } from "../../signature/infer.js";
import { Signature } from "../../signature/signature.js";
import type { Prediction } from "../prediction.js";
import { findDeno } from "./deno.js";
import { SandboxUnavailableError } from "./errors.js";
import { isPythonError, PythonModule, type PythonModuleOptions, signatureToWire } from "./python-module.js";

export interface ProgramOfThoughtOptions extends PythonModuleOptions {
  /** Retries of code generation after an error (DSPy's default: 3). */
  maxIters?: number;
  /** The Deno binary; default: DSPEX_DENO, the npm package `deno`, or `deno` on PATH. */
  deno?: string;
}

const FIX =
  "install the Deno binary with `npm i -E deno@2.9.6` (the package ships it), or set DSPEX_DENO=/path/to/deno, " +
  "or pass { deno } to ProgramOfThought; code is never run without the sandbox";

const DENO = Symbol("deno");

export class ProgramOfThought<const S extends SignatureInput = string> extends PythonModule<InputsOf<S>, OutputsOf<S>> {
  protected readonly kind = "program_of_thought";
  readonly signature: Signature;
  readonly maxIters: number;
  readonly [DENO]: string | undefined;

  constructor(signature: S, options: ProgramOfThoughtOptions = {}) {
    super(options);
    this.signature = Signature.from(signature);
    this.maxIters = options.maxIters ?? 3;
    this[DENO] = options.deno;
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
    return { signature: signatureToWire(this.signature), max_iters: this.maxIters, deno: this.denoPath() };
  }

  protected override translateError(error: unknown): unknown {
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
