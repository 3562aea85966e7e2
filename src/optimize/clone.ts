/**
 * Copies of a program for concurrent runs with different states.
 *
 * DSPy evaluates candidates on several threads at once, each with its own demos and
 * instructions, so Node cannot load a state into the caller's program: it runs a copy.
 * With a `factory` the copy is a fresh instance; otherwise modules and predictors are
 * copied structurally (DSPy's `Module.deepcopy`): every Module and Predict reachable
 * through properties, arrays, Maps and plain objects is copied, everything else (LMs,
 * tools, clients, functions) is shared. Classes with `#private` fields cannot be copied
 * this way (their methods would not find the fields on the copy): pass a factory.
 */
import { isParameter, Module, type ProgramState } from "../modules/module.js";

/**
 * Loads a state keyed by predictor name. A bare predictor's only name is "self" (as in DSPy's
 * named_parameters), but its own loadState takes the predictor state itself.
 */
export function applyState(program: Module, state: ProgramState): void {
  const self = state.self;
  if (isParameter(program) && typeof self === "object" && self !== null && !("signature" in state)) {
    program.loadState(self as Record<string, unknown>);
  } else program.loadState(state);
}

export function cloneProgram<P extends Module>(program: P, factory?: () => Module): P {
  if (factory) {
    const fresh = factory();
    applyState(fresh, Object.fromEntries(program.namedParameters().map(([n, p]) => [n, p.dumpState()])));
    return fresh as P;
  }
  return copyNode(program, new Map()) as P;
}

function isNode(value: unknown): boolean {
  return value instanceof Module || isParameter(value);
}

function copyNode(node: object, seen: Map<object, object>): object {
  const done = seen.get(node);
  if (done) return done;
  const copy = Object.create(Object.getPrototypeOf(node)) as object;
  seen.set(node, copy);
  for (const key of Reflect.ownKeys(node)) {
    const descriptor = Object.getOwnPropertyDescriptor(node, key)!;
    if ("value" in descriptor) descriptor.value = copyMember(descriptor.value, seen);
    Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}

function copyMember(value: unknown, seen: Map<object, object>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isNode(value)) return copyNode(value as object, seen);
  // Arrays are copied even without modules in them: Predict.demos must not be shared.
  if (Array.isArray(value)) return value.map((item) => copyMember(item, seen));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, copyMember(v, seen)]));
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = Object.create(proto);
    for (const [k, v] of Object.entries(value)) out[k] = copyMember(v, seen);
    return out;
  }
  return value;
}
