export {
  CAPABILITIES,
  type Capability,
  type CapabilityKind,
  type Implementation,
  type ImplementationInfo,
  OPERATIONS,
  type Operation,
} from "./capabilities.js";
export { ImpossibleOverrideError, PythonUnavailableError, UnknownOperationError } from "./errors.js";
export { closeSharedPools, configurePool, sharedPool } from "../bridge/shared-pools.js";
export { type RouteExplanation, type RouteOptions, Router, type RouterOptions, router } from "./router.js";
