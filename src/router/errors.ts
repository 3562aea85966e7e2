import { ConfigurationError, UnsupportedError } from "../errors.js";

/** An operation the capability table does not list. */
export class UnknownOperationError extends ConfigurationError {}

/** `{ implementation }` asked for one the operation does not have. */
export class ImpossibleOverrideError extends ConfigurationError {}

/** The operation has only a Python implementation and this router may not use Python. */
export class PythonUnavailableError extends UnsupportedError {}
