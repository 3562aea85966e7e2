/** Limits both sides of the bridge hold values to; here so callers need not load the codec (msgpackr). */
export const MAX_VALUE_DEPTH = 256;
