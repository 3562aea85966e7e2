/**
 * DSPy's ReAct, run in a worker, with tools written in TypeScript. The tools are reachable from
 * Python only by name, only during a call of this module (see scoped-callbacks.ts).
 */
import type { PythonPool } from "../../bridge/pool.js";
import { observe } from "../../runtime/observe.js";
import { context, type Settings } from "../../runtime/settings.js";
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

const TOOLS = Symbol("tools");

/** DSPy's ReAct prediction: the extract step's (a ChainOfThought) fields plus the trajectory. */
export type ReActOutputs<O> = Simplify<{ trajectory: Record<string, unknown>; reasoning: string } & O>;

export class ReAct<const S extends SignatureInput = string> extends PythonModule<
  InputsOf<S>,
  ReActOutputs<OutputsOf<S>>
> {
  protected readonly kind = "react";
  readonly signature: Signature;
  readonly maxIters: number;
  // Symbol-keyed: not part of the program walk, but copied with the module.
  readonly [TOOLS]: Map<string, PreparedTool>;

  constructor(signature: S, options: ReActOptions) {
    super(options);
    this.signature = Signature.from(signature);
    this.maxIters = options.maxIters ?? 20;
    this[TOOLS] = prepareTools(options.tools ?? []);
  }

  protected spec(): Record<string, unknown> {
    return {
      signature: signatureToWire(this.signature),
      tools: [...this[TOOLS].values()].map((t) => t.wire),
      max_iters: this.maxIters,
    };
  }

  /** Python calls the tools outside the caller's async context: they run in the settings captured at the call. */
  protected override registerCallScoped(pool: PythonPool, settings: Settings): Registration {
    return registerScoped(pool, TOOLS_CALLBACK, this[TOOLS], (tools, args) => {
      const tool = tools.get(String(args.name));
      if (!tool) throw new Error(`no tool named "${String(args.name)}" (tools: ${[...tools.keys()].join(", ")})`);
      return context(settings, () =>
        observe(settings, "tool", { instance: tool, name: String(args.name), inputs: args.args }, async () =>
          tool.run(args.args),
        ),
      );
    });
  }
}
