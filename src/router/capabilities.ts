// The table lives in bridge/ so that the floors below the router (modules, retrievers, optimizers)
// can ask it which pool to use; the router reads it from there too.
export {
  CAPABILITIES,
  type Capability,
  type CapabilityKind,
  type Implementation,
  type ImplementationInfo,
  OPERATIONS,
  type Operation,
  poolFor,
  pythonOperation,
} from "../bridge/capabilities.js";
