/**
 * Compile-time reading of DSPy's string signatures: `InferSignature<"question: str -> answer: int">`
 * is `{ inputs: { question: string }; outputs: { answer: number } }`.
 *
 * The rule that shapes everything here: the runtime parser (parse.ts) is the judge of what a valid
 * spec is, and the type level must never reject what it accepts. So every step that cannot read its
 * piece gives the widest type for it (`unknown` for a field type, `Record<string, unknown>` for a
 * whole field list) instead of an error or `never`. Narrower is only ever produced from text that
 * was read completely.
 *
 * Cost: the splitter walks a spec one character at a time only when it holds brackets or quotes;
 * plain specs ("question, context -> answer") are split by template matching alone. Every recursion
 * is a tail call so long specs stay within TypeScript's tail-recursion budget.
 */

/** What a signature's fields hold when nothing more precise is known. */
import type { Signature, SignatureMap } from "./signature.js";

export type UntypedFields = Record<string, unknown>;

/** A conversation history value as adapters accept it (the `History` class or its JSON shape). */
export interface HistoryValue {
  readonly messages: readonly Readonly<Record<string, unknown>>[];
}

type Space = " " | "\n" | "\t" | "\r";

type TrimLeft<S extends string> = S extends `${Space}${infer R}` ? TrimLeft<R> : S;
type TrimRight<S extends string> = S extends `${infer L} `
  ? TrimRight<L>
  : S extends `${infer L}\n`
    ? TrimRight<L>
    : S extends `${infer L}\t`
      ? TrimRight<L>
      : S extends `${infer L}\r`
        ? TrimRight<L>
        : S;
export type Trim<S extends string> = TrimRight<TrimLeft<S>>;

/** Marks a piece the type level could not read; it never escapes this file. */
declare const unreadable: unique symbol;
type Unreadable = typeof unreadable;

type Open = "[" | "(" | "{";
type Close = "]" | ")" | "}";
type Quote = "'" | '"';

/**
 * Splits at `Sep` outside brackets and quotes. `Depth` counts open brackets as a tuple's length,
 * `Q` is the quote we are inside ("" when none). Unbalanced text gives `Unreadable`.
 */
type SplitWalk<
  S extends string,
  Sep extends string,
  Cur extends string,
  Depth extends 0[],
  Q extends string,
  Acc extends string[],
> = S extends `${infer C}${infer Rest}`
  ? Q extends ""
    ? C extends Open
      ? SplitWalk<Rest, Sep, `${Cur}${C}`, [...Depth, 0], Q, Acc>
      : C extends Close
        ? Depth extends [0, ...infer D extends 0[]]
          ? SplitWalk<Rest, Sep, `${Cur}${C}`, D, Q, Acc>
          : Unreadable
        : C extends Sep
          ? Depth extends []
            ? SplitWalk<Rest, Sep, "", Depth, Q, [...Acc, Cur]>
            : SplitWalk<Rest, Sep, `${Cur}${C}`, Depth, Q, Acc>
          : C extends Quote
            ? SplitWalk<Rest, Sep, `${Cur}${C}`, Depth, C, Acc>
            : SplitWalk<Rest, Sep, `${Cur}${C}`, Depth, Q, Acc>
    : C extends "\\"
      ? Rest extends `${infer E}${infer Rest2}`
        ? SplitWalk<Rest2, Sep, `${Cur}${C}${E}`, Depth, Q, Acc>
        : Unreadable
      : C extends Q
        ? SplitWalk<Rest, Sep, `${Cur}${C}`, Depth, "", Acc>
        : SplitWalk<Rest, Sep, `${Cur}${C}`, Depth, Q, Acc>
  : Q extends ""
    ? Depth extends []
      ? [...Acc, Cur]
      : Unreadable
    : Unreadable;

/** Plain text (no brackets, no quotes) splits by template matching, which is much cheaper. */
type SplitPlain<S extends string, Sep extends string, Acc extends string[]> = S extends `${infer H}${Sep}${infer R}`
  ? SplitPlain<R, Sep, [...Acc, H]>
  : [...Acc, S];

type HasNesting<S extends string> = S extends `${string}${Open | Close | Quote}${string}` ? true : false;

/** `Split<"a, list[int, str], b", ",">` is `["a", " list[int, str]", " b"]`. */
export type SplitTop<S extends string, Sep extends string> =
  HasNesting<S> extends true ? SplitWalk<S, Sep, "", [], "", []> : SplitPlain<S, Sep, []>;

// ---------------------------------------------------------------------------------------------
// Types

type StripPrefix<T extends string> = T extends `${"typing" | "dspy" | "collections"}.${infer R}` ? R : T;

type ListName =
  | "list"
  | "List"
  | "set"
  | "Set"
  | "frozenset"
  | "FrozenSet"
  | "Sequence"
  | "Iterable"
  | "Deque"
  | "deque";
type DictName = "dict" | "Dict" | "Mapping" | "DefaultDict" | "defaultdict";

type Scalar<Name extends string> = Name extends "str" | "Text" | "bytes" | "Code" | "Reasoning"
  ? string
  : Name extends "int" | "float"
    ? number
    : Name extends "bool"
      ? boolean
      : Name extends "None" | "NoneType"
        ? null
        : Name extends "Any"
          ? unknown
          : Name extends "History"
            ? HistoryValue
            : Name extends ListName | "tuple" | "Tuple"
              ? unknown[]
              : Name extends DictName
                ? Record<string, unknown>
                : // Image and anything else the runtime may learn later: say nothing rather than guess.
                  unknown;

/** Every member must be readable, or the whole thing is `unknown`. */
type All<Parts extends string[], Out = never> = Parts extends [infer H extends string, ...infer R extends string[]]
  ? PyType<H> extends infer T
    ? [T] extends [Unreadable]
      ? unknown
      : All<R, Out | T>
    : unknown
  : Out;

type MapTuple<Parts extends string[], Out extends unknown[] = []> = Parts extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? MapTuple<R, [...Out, PyTypeOrUnknown<H>]>
  : Out;

type LiteralMember<V extends string> = V extends "True"
  ? true
  : V extends "False"
    ? false
    : V extends "None"
      ? null
      : V extends `'${infer Body}'` | `"${infer Body}"`
        ? // A body with quotes or escapes is read as some string: wider, never wrong.
          Body extends `${string}${"\\" | "'" | '"'}${string}`
          ? string
          : Body
        : V extends `${infer N extends number}`
          ? N
          : Unreadable;

type LiteralOf<Parts extends string[], Out = never> = Parts extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? Trim<H> extends ""
    ? LiteralOf<R, Out>
    : LiteralMember<Trim<H>> extends infer M
      ? [M] extends [Unreadable]
        ? Unreadable
        : LiteralOf<R, Out | M>
      : Unreadable
  : Out;

/** Arguments of a generic, with a trailing comma dropped (Python allows `list[int,]`). */
type Args<A extends string> =
  SplitTop<A, ","> extends infer P extends string[]
    ? P extends [...infer Init extends string[], infer Last extends string]
      ? Trim<Last> extends ""
        ? Init
        : P
      : P
    : Unreadable;

type Generic<Name extends string, A extends string> =
  Args<A> extends infer P
    ? P extends string[]
      ? Name extends ListName
        ? P extends [infer Item extends string]
          ? PyTypeOrUnknown<Item>[]
          : unknown[]
        : Name extends DictName
          ? P extends [string, infer V extends string]
            ? Record<string, PyTypeOrUnknown<V>>
            : Record<string, unknown>
          : Name extends "tuple" | "Tuple"
            ? P extends [infer Item extends string, infer Dots extends string]
              ? Trim<Dots> extends "..."
                ? PyTypeOrUnknown<Item>[]
                : MapTuple<P>
              : MapTuple<P>
            : Name extends "Optional"
              ? P extends [infer Item extends string]
                ? PyTypeOrUnknown<Item> | null
                : unknown
              : Name extends "Union"
                ? All<P>
                : Name extends "Literal"
                  ? LiteralOf<P> extends infer L
                    ? [L] extends [Unreadable]
                      ? unknown
                      : L
                    : unknown
                  : // Annotated[T, metadata...] validates as T.
                    Name extends "Annotated"
                    ? P extends [infer Inner extends string, ...string[]]
                      ? PyTypeOrUnknown<Inner>
                      : unknown
                    : // Type[T] (a class) and whatever else: unknown.
                      unknown
      : unknown
    : unknown;

type Primary<T extends string> =
  StripPrefix<T> extends `${infer Name}[${infer A}]` ? Generic<Trim<Name>, A> : Scalar<StripPrefix<T>>;

/** The TypeScript type of one Python type expression; `Unreadable` when it cannot be read. */
export type PyType<T extends string> =
  Trim<T> extends ""
    ? Unreadable
    : SplitTop<Trim<T>, "|"> extends infer P
      ? P extends [infer Only extends string]
        ? Primary<Trim<Only>>
        : P extends string[]
          ? All<P>
          : Unreadable
      : Unreadable;

type PyTypeOrUnknown<T extends string> = PyType<T> extends infer R ? ([R] extends [Unreadable] ? unknown : R) : unknown;

// ---------------------------------------------------------------------------------------------
// Fields and signatures

type NameBreaker = " " | "[" | "]" | "(" | ")" | "{" | "}" | "'" | '"' | "|" | "." | ":" | "-" | ">";

/** `[name, type]`, or Unreadable when the name is not one plain word. */
type FieldEntry<F extends string> = F extends `${infer N}:${infer T}`
  ? Trim<N> extends `${string}${NameBreaker}${string}` | ""
    ? Unreadable
    : [Trim<N>, PyTypeOrUnknown<T>]
  : Trim<F> extends `${string}${NameBreaker}${string}`
    ? Unreadable
    : [Trim<F>, string];

type Entries<Parts extends string[], Out extends [string, unknown][] = []> = Parts extends [
  infer H extends string,
  ...infer R extends string[],
]
  ? Trim<H> extends ""
    ? Entries<R, Out>
    : FieldEntry<H> extends infer E
      ? E extends [string, unknown]
        ? Entries<R, [...Out, E]>
        : Unreadable
      : Unreadable
  : Out;

/** Flattens an intersection into one object type, so editors show `{ a: string; b: number }`. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Output fields: every field is present in a prediction. */
type OutputObject<E extends [string, unknown][]> = Simplify<{ [P in E[number] as P[0]]: P[1] }>;

/**
 * Input fields: one whose type allows None may be left out, as the runtime allows (`null extends`
 * is also true for `unknown`, so an unread type is optional too: wider, never a false error).
 */
type InputObject<E extends [string, unknown][]> = Simplify<
  { [P in E[number] as null extends P[1] ? never : P[0]]: InputValue<P[1]> } & {
    [P in E[number] as null extends P[1] ? P[0] : never]?: InputValue<P[1]>;
  }
>;

/** Inputs are read, never written: accept readonly arrays and records wherever a list or dict is asked. */
export type InputValue<T> = T extends readonly (infer Item)[]
  ? number extends T["length"]
    ? readonly InputValue<Item>[]
    : { readonly [K in keyof T]: InputValue<T[K]> }
  : T extends HistoryValue
    ? T
    : T extends Record<string, infer V>
      ? string extends keyof T
        ? Readonly<Record<string, InputValue<V>>>
        : T
      : T;

type FieldList<S extends string> =
  SplitTop<S, ","> extends infer P
    ? P extends string[]
      ? Entries<P> extends infer E
        ? E extends [string, unknown][]
          ? E
          : Unreadable
        : Unreadable
      : Unreadable
    : Unreadable;

type Untyped = { inputs: UntypedFields; outputs: UntypedFields };

/**
 * `{ inputs, outputs }` of a DSPy string signature. A non-literal `string`, a second `->`
 * (which the runtime rejects anyway) or any piece it cannot read gives the untyped form.
 */
export type InferSignature<S extends string> = string extends S
  ? Untyped
  : S extends `${infer L}->${infer R}`
    ? R extends `${string}->${string}`
      ? Untyped
      : [FieldList<L>, FieldList<R>] extends [infer I, infer O]
        ? I extends [string, unknown][]
          ? O extends [string, unknown][]
            ? { inputs: InputObject<I>; outputs: OutputObject<O> }
            : Untyped
          : Untyped
        : Untyped
    : Untyped;

/** The value type of one map-form field: a type string, `{ type: "..." }`, or no type (str). */
type MapFieldType<V> = V extends string
  ? PyTypeOrUnknown<V>
  : V extends { readonly type: infer T }
    ? T extends string
      ? PyTypeOrUnknown<T>
      : unknown
    : V extends object
      ? "type" extends keyof V
        ? unknown
        : string
      : unknown;

type MapEntries<M> = { [K in keyof M & string]: [K, MapFieldType<M[K]>] }[keyof M & string];

/** `{ inputs, outputs }` of the map form `{ inputs: { q: "str" }, outputs: { a: { type: "int", desc } } }`. */
export type InferSignatureMap<M> = M extends { readonly inputs: infer I; readonly outputs: infer O }
  ? string extends keyof I
    ? Untyped
    : string extends keyof O
      ? Untyped
      : {
          inputs: InputObject<Extract<MapEntries<I>, [string, unknown]>[]>;
          outputs: OutputObject<Extract<MapEntries<O>, [string, unknown]>[]>;
        }
  : Untyped;

// ---------------------------------------------------------------------------------------------
// Every form a signature can be given in

/** Anything a module accepts as its signature: a string, the map form, or a Signature. */
export type SignatureInput = string | SignatureMap | Signature<UntypedFields, UntypedFields>;

type Infer<S> = S extends string
  ? InferSignature<S>
  : S extends Signature<infer I, infer O>
    ? { inputs: I; outputs: O }
    : S extends SignatureMap
      ? InferSignatureMap<S>
      : Untyped;

/** The input fields `.call()` takes for a signature given in any form. */
export type InputsOf<S> = Infer<S>["inputs"] extends infer I extends UntypedFields ? I : UntypedFields;
/** The output fields a prediction has for a signature given in any form. */
export type OutputsOf<S> = Infer<S>["outputs"] extends infer O extends UntypedFields ? O : UntypedFields;
