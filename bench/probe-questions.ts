/**
 * The embedded-model probe: 40 simple questions of six kinds, each asked as a plain Predict.
 * Deliberately easy: a default model that misses these will lose a newcomer on the first call.
 * `check` decides right or wrong from the parsed output (lenient on case and punctuation, strict
 * on the value).
 */

export type Kind = "fact" | "int" | "bool" | "literal" | "list" | "reading";

export interface ProbeQuestion {
  kind: Kind;
  signature: string;
  inputs: Record<string, string>;
  /** The output field that is checked. */
  field: string;
  gold: string | number | boolean | string[];
}

export const PROBE: ProbeQuestion[] = [
  // Factual short answers.
  ...(
    [
      ["What is the capital of Japan?", "Tokyo"],
      ["Which planet is known as the Red Planet?", "Mars"],
      ["What is the chemical symbol for gold?", "Au"],
      ["Who wrote the play Romeo and Juliet?", "Shakespeare"],
      ["What is the largest ocean on Earth?", "Pacific"],
      ["What language is mainly spoken in Brazil?", "Portuguese"],
      ["What is the tallest mountain in the world?", "Everest"],
    ] as const
  ).map(
    ([question, gold]): ProbeQuestion => ({
      kind: "fact",
      signature: "question -> answer",
      inputs: { question },
      field: "answer",
      gold,
    }),
  ),
  // Integer arithmetic and counting.
  ...(
    [
      ["What is 7 + 5?", 12],
      ["What is 9 times 6?", 54],
      ["What is 100 minus 37?", 63],
      ["How many days are in a week?", 7],
      ["How many legs does a spider have?", 8],
      ["How many letters are in the word 'cat'?", 3],
      ["What is 15 divided by 3?", 5],
    ] as const
  ).map(
    ([question, gold]): ProbeQuestion => ({
      kind: "int",
      signature: "question -> answer: int",
      inputs: { question },
      field: "answer",
      gold,
    }),
  ),
  // Yes/no.
  ...(
    [
      ["Is the Sun a star?", true],
      ["Is 10 greater than 20?", false],
      ["Do fish live in water?", true],
      ["Is Paris the capital of Italy?", false],
      ["Is 4 an even number?", true],
      ["Does a triangle have four sides?", false],
      ["Is water wet?", true],
    ] as const
  ).map(
    ([question, gold]): ProbeQuestion => ({
      kind: "bool",
      signature: "question -> answer: bool",
      inputs: { question },
      field: "answer",
      gold,
    }),
  ),
  // Classification into a Literal.
  ...(
    [
      ["I love this phone, it works perfectly.", "positive"],
      ["The food was cold and the service was terrible.", "negative"],
      ["What a wonderful day at the beach!", "positive"],
      ["This movie was boring and far too long.", "negative"],
    ] as const
  ).map(
    ([text, gold]): ProbeQuestion => ({
      kind: "literal",
      signature: "text -> sentiment: Literal['positive', 'negative']",
      inputs: { text },
      field: "sentiment",
      gold,
    }),
  ),
  ...(
    [
      ["The striker scored a goal in the last minute to win the match.", "sports"],
      ["The new laptop has a faster processor and more memory.", "technology"],
      ["Mix two eggs with a cup of flour, then bake the dough for twenty minutes.", "cooking"],
    ] as const
  ).map(
    ([text, gold]): ProbeQuestion => ({
      kind: "literal",
      signature: "text -> topic: Literal['sports', 'technology', 'cooking', 'politics']",
      inputs: { text },
      field: "topic",
      gold,
    }),
  ),
  // Extraction into a list[str].
  ...(
    [
      ["Alice and Bob went to the market.", ["Alice", "Bob"]],
      ["Yesterday Maria called John about the meeting.", ["Maria", "John"]],
      ["Tom, Anna and Peter play in the same team.", ["Tom", "Anna", "Peter"]],
    ] as const
  ).map(
    ([text, gold]): ProbeQuestion => ({
      kind: "list",
      signature: "text -> people: list[str]",
      inputs: { text },
      field: "people",
      gold: [...gold],
    }),
  ),
  ...(
    [
      ["We flew from London to Madrid and then took a train to Lisbon.", ["London", "Madrid", "Lisbon"]],
      ["The tour visits Paris and Rome.", ["Paris", "Rome"]],
      ["She was born in Tokyo but grew up in Osaka.", ["Tokyo", "Osaka"]],
    ] as const
  ).map(
    ([text, gold]): ProbeQuestion => ({
      kind: "list",
      signature: "text -> cities: list[str]",
      inputs: { text },
      field: "cities",
      gold: [...gold],
    }),
  ),
  // Short reading comprehension.
  ...(
    [
      ["Lena has a red bicycle. She rides it to school every morning.", "What color is Lena's bicycle?", "red"],
      ["The bakery opens at 7 am and closes at 3 pm.", "At what time does the bakery close?", "3"],
      ["Max adopted a cat named Pepper from the shelter last spring.", "What is the name of Max's cat?", "Pepper"],
      [
        "The river Elbe flows through Dresden and Hamburg before it reaches the North Sea.",
        "Which sea does the Elbe reach?",
        "North Sea",
      ],
      ["Sara is taller than Ben. Ben is taller than Kim.", "Who is the shortest of the three?", "Kim"],
      [
        "The meeting was moved from Monday to Thursday because the manager was ill.",
        "To which day was the meeting moved?",
        "Thursday",
      ],
    ] as const
  ).map(
    ([context, question, gold]): ProbeQuestion => ({
      kind: "reading",
      signature: "context, question -> answer",
      inputs: { context, question },
      field: "answer",
      gold,
    }),
  ),
];

const norm = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N} ]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();

/** Right or wrong. Text golds must appear as whole words in a short answer (≤ 12 words). */
export function check(q: ProbeQuestion, value: unknown): boolean {
  const gold = q.gold;
  if (typeof gold === "number") return value === gold;
  if (typeof gold === "boolean") return value === gold;
  if (Array.isArray(gold)) {
    if (!Array.isArray(value)) return false;
    const got = new Set(value.map((v) => norm(String(v))));
    return got.size === gold.length && gold.every((g) => got.has(norm(g)));
  }
  if (typeof value !== "string") return false;
  const answer = norm(value);
  if (q.kind === "literal") return answer === norm(gold);
  return answer.split(" ").length <= 12 && ` ${answer} `.includes(` ${norm(gold)} `);
}

/**
 * A value that contains a field placeholder such as `{answer}` (the failure small models fall
 * into: the template's placeholder, alone or after the answer) or a field marker, in a string
 * or a list item.
 */
export function isPlaceholderEcho(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isPlaceholderEcho);
  return typeof value === "string" && /\{\w+\}|## \w+ ##/.test(value);
}
