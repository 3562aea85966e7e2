import { DSPexError } from "../errors.js";

/** The studio's store could not be opened or read (a locked or foreign file, a newer layout). */
export class StudioStoreError extends DSPexError {}

/** A studio view or report was asked for something the store does not hold (an unknown run id). */
export class StudioRunNotFoundError extends DSPexError {}
