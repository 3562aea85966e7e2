export { SignatureError } from "./errors.js";
export { parseSignatureString, parseTypeString } from "./parse.js";
export { cleandoc, inferPrefix } from "./prefix.js";
export {
  type Field,
  type FieldKind,
  type FieldSpec,
  makeField,
  Signature,
  type SignatureMap,
  type SignatureState,
} from "./signature.js";
export {
  allowsNone,
  annotationName,
  type JSONSchema,
  jsonSchema,
  type LiteralValue,
  makeUnion,
  type TypeNode,
} from "./types.js";
export { signatureFromZod, typeFromJSONSchema, type ZodSignatureSpec } from "./zod.js";
