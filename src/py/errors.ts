import { DSPexError } from "../errors.js";

/**
 * Text nested deeper than a parser follows (where Python's own parsers raise RecursionError or
 * "too many nested parentheses"), reported instead of overflowing the stack. Adapters turn it
 * into an AdapterParseError naming the field.
 */
export class NestingTooDeepError extends DSPexError {
  readonly maxDepth: number;
  readonly position: number;
  constructor(what: string, maxDepth: number, position: number) {
    super(`${what} is nested deeper than ${maxDepth} levels (at offset ${position})`, {
      context: { maxDepth, position },
      fix: "real LM output never nests this deep; check what produced the text",
    });
    this.maxDepth = maxDepth;
    this.position = position;
  }
}
