/**
 * Copies of a program for concurrent runs with different states.
 *
 * DSPy evaluates candidates on several threads at once, each with its own demos and
 * instructions, so Node cannot load a state into the caller's program: it runs a copy.
 * With a `factory` the copy is a fresh instance; otherwise the program is copied as
 * modules/walk.ts defines (DSPy's `Module.deepcopy`; a class with `#private` fields gives
 * itself a `clone()` hook).
 */
import { isParameter, type Module, type ProgramState } from "../modules/module.js";
import { copyProgram } from "../modules/walk.js";

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
  return copyProgram(program);
}
