import { DSPexError } from "../errors.js";

/** No LM was given to the module, the call, `context()` or `configure()`. */
export class NoLMError extends DSPexError {
  constructor(module: string) {
    super(`${module} has no LM to call`, {
      context: { module },
      fix: 'run `npx dspex setup` to install the embedded model, or call configure({ lm: openai({ model: "gpt-4o-mini" }) }), or pass { lm } to the module or to context()',
    });
  }
}
