import { DSPexError } from "../errors.js";

export { NoLMError } from "../runtime/errors.js";

/** Inputs that do not match the signature's input fields. */
export class InputError extends DSPexError {}

/** A saved program state that cannot be read, loaded or written. */
export class ProgramStateError extends DSPexError {}
