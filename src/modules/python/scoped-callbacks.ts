/**
 * Callbacks whose targets live only as long as one Node call (ReAct's tools) or one object (a
 * retriever's embedder). Each pool gets one callback per name; Python names the target by an
 * unguessable token that Node issued, so only what Node registered, while registered, is callable.
 */
import type { CallbackContext } from "../../bridge/callbacks.js";
import { CallbackError } from "../../bridge/callbacks.js";
import type { PythonPool } from "../../bridge/pool.js";

export type ScopedHandler<T> = (target: T, args: Record<string, unknown>, context: CallbackContext) => unknown;

export interface Registration {
  readonly token: string;
  release(): void;
}

const tables = new WeakMap<PythonPool, Map<string, Map<string, unknown>>>();

/** Registers `target` under a fresh token for callback `name` on `pool`; `handler` serves its calls. */
export function registerScoped<T>(pool: PythonPool, name: string, target: T, handler: ScopedHandler<T>): Registration {
  let byName = tables.get(pool);
  if (!byName) {
    byName = new Map();
    tables.set(pool, byName);
  }
  let table = byName.get(name);
  if (!table) {
    const entries = new Map<string, unknown>();
    table = entries;
    byName.set(name, entries);
    pool.registerCallback(name, (args, context) => {
      const a = (typeof args === "object" && args !== null ? args : {}) as Record<string, unknown>;
      const entry = typeof a.token === "string" ? entries.get(a.token) : undefined;
      if (entry === undefined) {
        throw new CallbackError(`callback "${name}": no live target for this token (its call or object has ended)`);
      }
      return (entry as { handler: ScopedHandler<unknown>; target: unknown }).handler(
        (entry as { target: unknown }).target,
        a,
        context,
      );
    });
  }
  const token = globalThis.crypto.randomUUID();
  table.set(token, { handler, target });
  const entries = table;
  return { token, release: () => entries.delete(token) };
}
