/**
 * The field-type model: Python annotations as DSPy accepts them, as data. It sits on the
 * ground floor because the Python-semantics helpers (str/repr, pydantic-like validation)
 * read it too; what a node prints and its JSON schema are built in src/signature/types.ts.
 */

export type LiteralValue = string | number | boolean | null;

export type JSONSchema = { [key: string]: unknown };

export type TypeNode = TypeShape & {
  /** `Annotated[T, ...]` inside another type: DSPy prints the metadata there (a field's own is dropped). */
  annotated?: string[];
};

type TypeShape =
  | {
      kind:
        | "str"
        | "int"
        | "float"
        | "bool"
        | "bytes"
        | "any"
        | "none"
        | "history"
        | "image"
        | "audio"
        | "file"
        | "tool"
        | "toolCalls"
        /** dspy.Reasoning: text that DSPy names `str` in prompts. */
        | "reasoning";
    }
  /**
   * dspy.Code: code text; an output is read out of its markdown fence. `dspy.Code["java"]` is the
   * class DSPy makes for that language, named `Code_java`.
   */
  | { kind: "code"; language?: string }
  /**
   * `item` absent means the bare generic (`list`); `alias` keeps the spelling DSPy prints. `origin`
   * names the typing/collections alias that validates like the builtin but prints its own name
   * (`Sequence[int]`, `deque[int]`, `frozenset[str]`, `Mapping[str, int]`).
   */
  | { kind: "list"; item?: TypeNode; alias?: "list" | "List"; origin?: "Sequence" | "Iterable" | "deque" }
  | { kind: "set"; item?: TypeNode; alias?: "set" | "Set" | "frozenset"; frozen?: boolean }
  | { kind: "tuple"; items?: TypeNode[]; variadic?: boolean; alias?: "tuple" | "Tuple" }
  | { kind: "dict"; key?: TypeNode; value?: TypeNode; alias?: "dict" | "Dict"; origin?: "Mapping" | "defaultdict" }
  /** `Type[T]`: a class, never a value an LM can write. */
  | { kind: "type"; item: TypeNode }
  | { kind: "union"; options: TypeNode[] }
  | { kind: "literal"; values: LiteralValue[] }
  /** A Python Enum (from a titled zod enum): members as [name, value]; DSPy names it by its class. */
  | { kind: "enum"; name: string; members: [string, string | number][] }
  /** A structured type from a zod object or a user JSON schema (a pydantic model in DSPy). */
  | { kind: "object"; name: string; schema: JSONSchema };
