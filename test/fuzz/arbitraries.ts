/**
 * Shared fast-check inputs for the fuzz tests and bench/fuzz.ts: raw UTF-16 (lone surrogates
 * included), text built from the characters parsers care about, and JSON-like values.
 */
import fc from "fast-check";

/** Any UTF-16 code units, lone surrogates included (fast-check's own strings are well-formed). */
export const utf16 = (maxLength = 40): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength }).map((units) => String.fromCharCode(...units));

/** Text made of the characters that drive the parsers (brackets, quotes, separators, markers). */
export const syntaxy = (pieces: readonly string[], maxLength = 30): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.constantFrom(...pieces), utf16(3)), { maxLength }).map((p) => p.join(""));

export const JSON_PIECES = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  ",",
  ":",
  '"',
  "'",
  "“",
  "”",
  "\\",
  "\\u00",
  "\\n",
  " ",
  "\n",
  "\t",
  "true",
  "false",
  "null",
  "None",
  "True",
  "NaN",
  "-",
  "1",
  "0.5",
  "1e5",
  "_",
  "#",
  "//",
  "/*",
  "*/",
  "...",
  "a",
  "é",
];
export const SIGNATURE_PIECES = [
  "a",
  "b_1",
  "x",
  ":",
  ",",
  "->",
  " ",
  "str",
  "int",
  "float",
  "bool",
  "list",
  "dict",
  "Optional",
  "Literal",
  "Union",
  "tuple",
  "[",
  "]",
  "|",
  "None",
  "'q'",
  '"r"',
  "...",
  ".",
  "typing.",
  "dspy.",
  "Image",
  "History",
  "1",
];
export const CHAT_PIECES = [
  "[[ ## answer ## ]]",
  "[[ ## n ## ]]",
  "[[ ## completed ## ]]",
  "\n",
  "\n\n",
  " ",
  "42",
  "-",
  "[1, 2]",
  "{",
  "}",
];

/** JSON-like values: what users pass as inputs and what tools return. Strings may hold lone surrogates. */
export const jsonLike: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    utf16(12),
    fc.string(),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), utf16(4)), tie("value"), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;
