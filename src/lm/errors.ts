import { DSPexError } from "../errors.js";

export interface LMErrorOptions {
  provider?: string;
  model?: string;
  status?: number;
  /** Whether retrying the same request may succeed. Subclasses set a sensible default. */
  retryable?: boolean;
  /** Delay the server asked for (Retry-After), when it gave one. */
  retryAfterMs?: number;
  context?: Record<string, unknown>;
  fix?: string;
  cause?: unknown;
}

/**
 * Base of every error an LM client throws. Messages and context are built by the clients
 * from already-scrubbed text: nothing here ever holds a credential.
 */
export class LMError extends DSPexError {
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Delay the server asked for (Retry-After), when it gave one. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: LMErrorOptions = {}) {
    const context: Record<string, unknown> = { ...(options.context ?? {}) };
    if (options.retryAfterMs !== undefined) context.retryAfterMs = options.retryAfterMs;
    if (options.provider !== undefined) context.provider = options.provider;
    if (options.model !== undefined) context.model = options.model;
    if (options.status !== undefined) context.status = options.status;
    super(message, {
      context,
      ...(options.fix === undefined ? {} : { fix: options.fix }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.provider = options.provider;
    this.model = options.model;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 401/403: the key is missing, wrong, or lacks access to the model. */
export class LMAuthError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Check the API key (passed as apiKey or via the provider's environment variable) and that it may use this model.",
      ...options,
      retryable: false,
    });
  }
}

/** 429: the provider asked us to slow down. */
export class LMRateLimitError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Lower the request rate or concurrency, raise maxRetries, or ask the provider for a higher limit.",
      ...options,
      retryable: options.retryable ?? true,
    });
  }
}

/** 5xx (and Anthropic's 529 overloaded): the provider failed; usually transient. */
export class LMServerError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "The provider had a server-side failure; retry later or raise maxRetries.",
      ...options,
      retryable: options.retryable ?? true,
    });
  }
}

/** No complete response within timeoutMs. */
export class LMTimeoutError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Raise timeoutMs, lower maxTokens, or check that the server is reachable and not overloaded.",
      ...options,
      retryable: options.retryable ?? true,
    });
  }
}

/** The server answered, but not with something we can use (malformed JSON, no choices, bad events). */
export class LMBadResponseError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Check that baseURL points at a server speaking this provider's API (e.g. an OpenAI-compatible /v1 root).",
      ...options,
      retryable: options.retryable ?? false,
    });
  }
}

/** The prompt (plus requested completion) does not fit the model's context window. */
export class LMContextWindowError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Shorten the inputs or demos, lower maxTokens, or use a model with a larger context window.",
      ...options,
      retryable: false,
    });
  }
}

/** The connection failed or was cut (refused, reset, socket hang up, truncated body or stream). */
export class LMConnectionError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Check that the server is running and reachable at baseURL; transient drops are retried (maxRetries).",
      ...options,
      retryable: options.retryable ?? true,
    });
  }
}

/** The caller aborted the request through its AbortSignal. */
export class LMAbortedError extends LMError {
  constructor(message = "The LM request was aborted.", options: LMErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** Any other 4xx the provider rejected (bad parameters, unknown model). */
export class LMRequestError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Check the request settings (model name, parameters) against the provider's documentation.",
      ...options,
      retryable: false,
    });
  }
}

/** A ScriptedLM was asked for more answers than it was given, or none matched. */
export class ScriptedLMExhaustedError extends LMError {
  constructor(message: string, options: LMErrorOptions = {}) {
    super(message, {
      fix: "Give the ScriptedLM more answers (or a map entry matching this prompt).",
      ...options,
      retryable: false,
    });
  }
}

/**
 * A message part the LM cannot take: an image for a text-only model, audio for Anthropic, any
 * media for a version 1 provider. Thrown before anything is sent, so nothing is half-done.
 */
export class LMUnsupportedContentError extends LMError {
  readonly partType: string;

  constructor(message: string, options: LMErrorOptions & { partType: string }) {
    super(message, {
      fix: "Send this input to a provider whose model accepts it (openai() or anthropic() with a vision model), or leave the media field out.",
      ...options,
      retryable: false,
      context: { ...(options.context ?? {}), partType: options.partType },
    });
    this.partType = options.partType;
  }
}
