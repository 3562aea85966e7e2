/** Per-module and per-call LM settings (DSPy's `**config`); the LM-call path reads them. */
export interface PredictConfig {
  temperature?: number;
  maxTokens?: number;
  n?: number;
  stop?: string[];
  rolloutId?: string | number;
  providerOptions?: Record<string, unknown>;
  /** false skips the cache for this module or call. */
  cache?: boolean;
}
