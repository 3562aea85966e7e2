/**
 * What belongs to a program, defined once. Every walk over a program's object graph (DSPy's
 * `named_parameters`, state dump and load, preparation of Python-backed modules, and the copies
 * optimizers run) goes through `members()` and `containerEntries()` here, so they cannot drift.
 *
 * A module's members are its own string-keyed properties, as DSPy walks `__dict__`, unless the
 * class says otherwise with `[MEMBERS]()` (a Python-backed module names the predictors DSPy
 * reported). Symbol-keyed properties are the module's own business: never walked or named,
 * but copied with it, which is how a module keeps configuration (a reward function, tools)
 * out of the program yet still copies cleanly. `#private` fields cannot be copied from outside:
 * such classes give themselves a `clone()` hook.
 */
import { ConfigurationError } from "../errors.js";

/** Marks objects whose state DSPy saves (its `Parameter`): in practice, Predict. */
export const PARAMETER: unique symbol = Symbol.for("dspex.parameter");

/** A module's own list of what belongs to the program, when its properties are not it. */
export const MEMBERS: unique symbol = Symbol.for("dspex.members");

export interface Parameter {
  readonly [PARAMETER]: true;
  dumpState(): Record<string, unknown>;
  loadState(state: Record<string, unknown>): void;
}

/** The parts of a module the walk needs; Module implements it (kept structural to avoid a cycle). */
export interface ProgramNode {
  compiled: boolean;
  [MEMBERS]?(): Iterable<[string, unknown]>;
}

/** A class with `#private` fields copies itself: the copy must not share predictors with `this`. */
export interface Cloneable {
  clone(): object;
}

export function isParameter(value: unknown): value is Parameter {
  return typeof value === "object" && value !== null && PARAMETER in value;
}

const MODULE = Symbol.for("dspex.module");

/** Set by the Module base so the walk can tell modules apart without importing it. */
export function markModuleClass(proto: object): void {
  Object.defineProperty(proto, MODULE, { value: true });
}

export function isModule(value: unknown): value is ProgramNode {
  return typeof value === "object" && value !== null && MODULE in value;
}

/** A module or predictor: the nodes a copy duplicates. */
export function isNode(value: unknown): boolean {
  return isModule(value) || isParameter(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A module's members, as the walk sees them. */
export function members(node: ProgramNode): Iterable<[string, unknown]> {
  const own = node[MEMBERS];
  return typeof own === "function" ? own.call(node) : Object.entries(node);
}

/** The entries of a container the walk goes through (arrays, Maps, plain records), with DSPy's path syntax. */
export function containerEntries(value: unknown): [string, unknown][] | undefined {
  if (Array.isArray(value)) return value.map((item, i) => [`[${i}]`, item]);
  if (value instanceof Map) return [...value].map(([k, item]) => [`['${String(k)}']`, item]);
  if (isPlainObject(value)) return Object.entries(value).map(([k, item]) => [`['${k}']`, item]);
  return undefined;
}

export interface WalkOptions {
  /** Go into compiled sub-modules too (DSPy's walk hides them; preparation must not). */
  intoCompiled?: boolean;
}

/**
 * Visits every module and predictor of the program, each once, with its DSPy path (`self` for
 * a root predictor, else `a.b[0]['k']`; the root module itself has path ""). As DSPy's
 * `named_parameters`: containers are looked into one level deep, and a predictor's own
 * members are not walked unless it is the root.
 */
export function walkProgram(
  root: ProgramNode,
  visit: (path: string, node: ProgramNode | Parameter) => void,
  options: WalkOptions = {},
): void {
  const seen = new Set<unknown>([root]);
  const node = (path: string, value: unknown): void => {
    if (!isNode(value) || seen.has(value)) return;
    seen.add(value);
    visit(path, value as ProgramNode | Parameter);
    if (isModule(value) && !isParameter(value) && (!value.compiled || options.intoCompiled)) {
      walkMembers(`${path}.`, value);
    }
  };
  const walkMembers = (prefix: string, module: ProgramNode): void => {
    for (const [name, child] of members(module)) {
      const entries = isNode(child) ? undefined : containerEntries(child);
      if (entries === undefined) node(prefix + name, child);
      else for (const [suffix, item] of entries) node(prefix + name + suffix, item);
    }
  };
  visit(isParameter(root) ? "self" : "", root);
  walkMembers("", root);
}

/** DSPy's `named_parameters`: every predictor of the program, each once, by path. */
export function namedParametersOf(root: ProgramNode): [string, Parameter][] {
  const found: [string, Parameter][] = [];
  walkProgram(root, (path, node) => {
    if (isParameter(node)) found.push([path, node]);
  });
  return found;
}

/**
 * A copy of the program (DSPy's `Module.deepcopy`): every module and predictor reachable
 * through members and containers is copied once (shared references stay shared), arrays, Maps
 * and plain records are copied, everything else (LMs, tools, clients, functions) is shared.
 */
export function copyProgram<P extends object>(root: P): P {
  return copyNode(root, new Map()) as P;
}

function copyNode(node: object, seen: Map<object, object>): object {
  const done = seen.get(node);
  if (done) return done;
  const hook = (node as Partial<Cloneable>).clone;
  if (typeof hook === "function") {
    const copy = hook.call(node);
    checkClone(node, copy);
    seen.set(node, copy);
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(node)) as object;
  seen.set(node, copy);
  // Reflect.ownKeys: symbol-keyed members (a module's own configuration) travel with the copy.
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
  const done = seen.get(value);
  if (done) return done;
  // Arrays are copied even without modules in them: Predict.demos must not be shared.
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copyMember(item, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(k, copyMember(v, seen));
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(value));
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = copyMember(v, seen);
    return out;
  }
  return value;
}

/** A clone() that hands back `this`, or a copy sharing a predictor, would let concurrent runs interfere. */
function checkClone(original: object, copy: unknown): void {
  const name = original.constructor.name;
  if (typeof copy !== "object" || copy === null || copy === original || !isNode(copy)) {
    throw new ConfigurationError(`${name}.clone() must return a new ${name}`, {
      fix: "return a fresh instance with the same structure (its predictors' state is loaded for you)",
    });
  }
  if (!isModule(original) || !isModule(copy)) return;
  const mine = new Set(namedParametersOf(original).map(([, p]) => p));
  for (const [path, p] of namedParametersOf(copy)) {
    if (mine.has(p)) {
      throw new ConfigurationError(`${name}.clone() shares the predictor "${path}" with the original`, {
        fix: "create new predictors in clone() (e.g. construct a new instance) instead of reusing this one's",
      });
    }
  }
  const state = Object.fromEntries(namedParametersOf(original).map(([n, p]) => [n, p.dumpState()]));
  for (const [path, p] of namedParametersOf(copy)) {
    const entry = state[path];
    if (entry === undefined) {
      throw new ConfigurationError(`${name}.clone() has a predictor "${path}" the original lacks`, {
        fix: "clone() must build the same structure (same predictor names)",
      });
    }
    p.loadState(entry);
  }
}
