/**
 * DSPy's ReAct, run in a worker, with tools written in TypeScript. The tools are reachable from
 * Python only by name, only during a call of this module (see scoped-callbacks.ts).
 */
import type { PythonPool } from "../../bridge/pool.js";
import type { InputsOf, OutputsOf, SignatureInput, Simplify } from "../../signature/infer.js";
import { Signature } from "../../signature/signature.js";
import { PythonModule, type PythonModuleOptions, signatureToWire } from "./python-module.js";
import { type Registration, registerScoped } from "./scoped-callbacks.js";
import type { Tool } from "../../tools/tool.js";
import { type PreparedTool, prepareTools, type ToolDefinition } from "./tools.js";

export interface ReActOptions extends PythonModuleOptions {
  /** Each tool declares its own argument type; `never` accepts any of them without `any`. */
  tools: readonly (ToolDefinition<never> | Tool<never>)[];
  /** DSPy's default: 20. */
  maxIters?: number;
}

export const TOOLS_CALLBACK = "dspex.tools";

/** DSPy's ReAct prediction: the extract step's (a ChainOfThought) fields plus the trajectory. */
export type ReActOutputs<O> = Simplify<{ trajectory: Record<string, unknown>; reasoning: string } & O>;

export class ReAct<const S extends SignatureInput = string> extends PythonModule<
  InputsOf<S>,
  ReActOutputs<OutputsOf<S>>
> {
  protected readonly kind = "react";
  readonly signature: Signature;
  readonly maxIters: number;
  readonly #tools: Map<string, PreparedTool>;

  constructor(signature: S, options: ReActOptions) {
    super(options);
    this.signature = Signature.from(signature);
    this.maxIters = options.maxIters ?? 20;
    this.#tools = prepareTools(options.tools ?? []);
  }

  protected spec(): Record<string, unknown> {
    return {
      signature: signatureToWire(this.signature),
      tools: [...this.#tools.values()].map((t) => t.wire),
      max_iters: this.maxIters,
    };
  }

  protected override registerCallScoped(pool: PythonPool): Registration {
    return registerScoped(pool, TOOLS_CALLBACK, this.#tools, (tools, args) => {
      const tool = tools.get(String(args.name));
      if (!tool) throw new Error(`no tool named "${String(args.name)}" (tools: ${[...tools.keys()].join(", ")})`);
      return tool.run(args.args);
    });
  }
}
