import { pyLstrip } from "../py/builtins.js";

/**
 * DSPy's `infer_prefix`: turns a field name into the human label used as its prefix
 * ("isHTTPSSecure123" -> "Is HTTPS Secure 123"). Kept regex-for-regex with DSPy so saved
 * programs carry identical prefixes.
 */
export function inferPrefix(name: string): string {
  const s1 = name.replace(/(.)([A-Z][a-z]+)/g, "$1_$2");
  const s2 = s1.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
  const s3 = s2.replace(/([a-zA-Z])(\d)/g, "$1_$2").replace(/(\d)([a-zA-Z])/g, "$1_$2");
  return s3
    .split("_")
    .map((word) => (isUpper(word) ? word : capitalize(word)))
    .join(" ");
}

/** Python's str.isupper(): at least one cased character and no lowercase ones. */
function isUpper(word: string): boolean {
  return word !== word.toLowerCase() && word === word.toUpperCase();
}

/** Python's str.capitalize(): first character upper, the rest lower. */
function capitalize(word: string): string {
  return word.length === 0 ? word : word[0]!.toUpperCase() + word.slice(1).toLowerCase();
}

/**
 * Python's inspect.cleandoc, which DSPy applies to every signature's instructions. Lines split on
 * "\n" only (a "\r" stays on its line) and stripping is Python's (a BOM is not whitespace there).
 */
export function cleandoc(doc: string): string {
  const lines = doc.split("\n").map(expandTabs);
  let margin = Number.POSITIVE_INFINITY;
  for (const line of lines.slice(1)) {
    const content = pyLstrip(line).length;
    if (content > 0) margin = Math.min(margin, line.length - content);
  }
  lines[0] = pyLstrip(lines[0]!);
  if (Number.isFinite(margin)) for (let i = 1; i < lines.length; i++) lines[i] = lines[i]!.slice(margin);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  while (lines.length > 0 && lines[0] === "") lines.shift();
  return lines.join("\n");
}

/** Python's str.expandtabs(8). */
function expandTabs(line: string): string {
  if (!line.includes("\t")) return line;
  let out = "";
  for (const ch of line) {
    if (ch === "\t") out += " ".repeat(8 - (out.length % 8));
    else out += ch;
  }
  return out;
}
