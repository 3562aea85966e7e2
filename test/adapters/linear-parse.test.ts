/**
 * Inputs that made three parsers quadratic (14.5 s, over 20 s and 15 s at 100,000 characters,
 * blocking the event loop). At 1,000,000 characters the old code would need about 100 times
 * that; the linear code takes well under a second. Each case runs in a child process with a
 * hang guard far from both: no timing is asserted.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { firstBalancedObject } from "../../src/adapters/json.js";
import { parenIsExplicitTuple, topLevelParenCanStart } from "../../src/py/json-repair-parens.js";

const CHILD = fileURLToPath(new URL("./children/pathological.ts", import.meta.url));
const GUARD_MS = 60_000;

/** The case's outcome, parsed in a child process that is killed if it runs past the guard. */
function runCase(name: string): unknown {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD, name], { encoding: "utf8", timeout: GUARD_MS });
  assert.equal(r.signal, null, `${name} was still running after ${GUARD_MS} ms (a quadratic parser?)`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe("parsers stay linear on pathological input (1,000,000 characters)", () => {
  it("an int field with a long whitespace run inside the text: a parse error", () => {
    assert.deepEqual(runCase("intWithInnerSpaces"), { error: "AdapterParseError" });
  });

  it("an int field padded with long whitespace runs: the number", () => {
    assert.deepEqual(runCase("intPadded"), { value: { n: 42 } });
  });

  it("an unterminated JSON string with a long whitespace run keeps its text", () => {
    assert.deepEqual(runCase("unterminatedString"), { length: 1_000_001, tail: " x" });
  });

  it("trailing whitespace and closers of an unterminated string are dropped", () => {
    assert.deepEqual(runCase("trailingClosers"), { a: "b" });
  });

  it("a run of nested '(' (each one asked whether it opens a tuple) ends in the nesting limit", () => {
    assert.deepEqual(runCase("parenRun"), {
      error: "NestingTooDeepError: the JSON text is nested deeper than 1000 levels (at offset 1006)",
    });
  });

  it("many lines that each open a '(' closed in a run at the end: nothing, as json_repair says", () => {
    assert.deepEqual(runCase("parenLines"), { value: "" });
  });

  it("an opening bracket followed by unclosed braces finds no object", () => {
    assert.deepEqual(runCase("unclosedBraces"), {
      balanced: null,
      parse: { error: "AdapterParseError" },
      later: '{"a": 1}',
    });
  });
});

describe("firstBalancedObject keeps its meaning", () => {
  /** The former definition: try each `{` in turn, counting depth until it returns to zero. */
  function reference(text: string): string | undefined {
    for (let start = text.indexOf("{"); start >= 0; start = text.indexOf("{", start + 1)) {
      let depth = 0;
      for (let i = start; i < text.length; i++) {
        const c = text[i];
        if (c === "{") depth++;
        else if (c === "}" && --depth === 0) return text.slice(start, i + 1);
      }
    }
    return undefined;
  }

  it("agrees with the former definition on every string of braces and letters up to length 9", () => {
    const alphabet = ["{", "}", "a"];
    let checked = 0;
    const visit = (prefix: string): void => {
      assert.equal(firstBalancedObject(prefix), reference(prefix), JSON.stringify(prefix));
      checked++;
      if (prefix.length < 9) for (const c of alphabet) visit(prefix + c);
    };
    visit("");
    assert.equal(checked, (3 ** 10 - 1) / 2);
  });
});

describe("parenIsExplicitTuple keeps its meaning", () => {
  /** The former definition: scan to the matching ')' with one depth counter for every bracket. */
  function reference(s: string, index: number): boolean {
    let depth = 0;
    let quote: string | undefined;
    let backslashes = 0;
    let content = false;
    for (let k = index + 1; k < s.length; k++) {
      const ch = s[k]!;
      if (ch === "\\") {
        backslashes++;
        continue;
      }
      if (quote !== undefined) {
        if (ch === quote && backslashes % 2 === 0) quote = undefined;
        backslashes = 0;
        continue;
      }
      if ((ch === '"' || ch === "'") && backslashes % 2 === 0) {
        quote = ch;
        if (depth === 0) content = true;
        backslashes = 0;
        continue;
      }
      backslashes = 0;
      if (ch !== " " && ch !== "," && ch !== ")" && depth === 0) content = true;
      if (ch === "(" || ch === "[" || ch === "{") depth++;
      else if (ch === ")" || ch === "]" || ch === "}") {
        if (depth === 0) {
          if (ch === ")") return !content;
        } else depth--;
      } else if (ch === "," && depth === 0) return true;
    }
    return !content;
  }

  it("agrees with the former definition at every '(' of every string over ( ) ] , a \" \\ and space up to length 7", () => {
    const alphabet = ["(", ")", "]", ",", "a", '"', "\\", " "];
    let checked = 0;
    const visit = (prefix: string): void => {
      for (let i = prefix.indexOf("("); i >= 0; i = prefix.indexOf("(", i + 1)) {
        assert.equal(parenIsExplicitTuple(prefix, i), reference(prefix, i), `${JSON.stringify(prefix)} at ${i}`);
        checked++;
      }
      if (prefix.length < 7) for (const c of alphabet) visit(prefix + c);
    };
    visit("");
    assert.ok(checked > 1_000_000);
  });
});

describe("topLevelParenCanStart keeps its meaning", () => {
  /** The former definition: from each '(' alone on its line, rescan for its closing ')'. */
  function reference(s: string, index: number): boolean {
    for (let k = index - 1; k >= 0; k--) {
      if (s[k] === "\n" || s[k] === "\r") break;
      if (s[k] !== " " && s[k] !== "\t") return false;
    }
    let k = index + 1;
    while (k < s.length && (s[k] === " " || s[k] === "\t" || s[k] === "\n")) k++;
    const first = s[k];
    if (first === undefined) return false;
    if (!")[{(\"'".includes(first) && !/[0-9]/.test(first)) return false;
    let depth = 0;
    let quote: string | undefined;
    let backslashes = 0;
    for (let j = index + 1; j < s.length; j++) {
      const ch = s[j]!;
      if (ch === "\\") {
        backslashes++;
        continue;
      }
      const escaped = backslashes % 2 === 1;
      backslashes = 0;
      if (quote !== undefined) {
        if (ch === quote && !escaped) quote = undefined;
        continue;
      }
      if ((ch === '"' || ch === "'") && !escaped) {
        quote = ch;
        continue;
      }
      if (ch === "(" || ch === "[" || ch === "{") depth++;
      else if (ch === ")" && depth === 0) {
        for (let t = j + 1; t < s.length; t++) {
          if (s[t] === "\n" || s[t] === "\r") return true;
          if (s[t] !== " " && s[t] !== "\t") return false;
        }
        return true;
      } else if (ch === ")" || ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
    }
    return true;
  }

  it("agrees with the former definition at every '(' of every string over ( ) [ ] } \" \\ 1 and newline up to length 7", () => {
    const alphabet = ["(", ")", "[", "]", "}", '"', "\\", "1", "\n"];
    let checked = 0;
    const visit = (prefix: string): void => {
      for (let i = prefix.indexOf("("); i >= 0; i = prefix.indexOf("(", i + 1)) {
        assert.equal(topLevelParenCanStart(prefix, i), reference(prefix, i), `${JSON.stringify(prefix)} at ${i}`);
        checked++;
      }
      if (prefix.length < 7) for (const c of alphabet) visit(prefix + c);
    };
    visit("");
    assert.ok(checked > 1_000_000);
  });
});
