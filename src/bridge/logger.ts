/** The bridge logs through this small interface; worker output arrives with the worker id in `fields`. */
export interface BridgeLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = keyof BridgeLogger;
const order: LogLevel[] = ["debug", "info", "warn", "error"];

/** Writes to stderr from `minLevel` up, prefixed with the worker id when there is one. */
export function consoleLogger(minLevel: LogLevel = "warn"): BridgeLogger {
  const min = order.indexOf(minLevel);
  const make =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (order.indexOf(level) < min) return;
      const worker = fields?.worker;
      process.stderr.write(`[dspex${worker ? ` ${String(worker)}` : ""}] ${level}: ${message}\n`);
    };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") };
}

export const silentLogger: BridgeLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function logAt(logger: BridgeLogger, level: string, message: string, fields?: Record<string, unknown>): void {
  const key: LogLevel = level === "warning" ? "warn" : level === "critical" ? "error" : (level as LogLevel);
  (order.includes(key) ? logger[key] : logger.info).call(logger, message, fields);
}
