/**
 * The part of Python's `xml.etree.ElementTree` that DSPy's XMLAdapter relies on: `fromstring` with
 * expat's strictness (a completion that is not well-formed XML is refused, as it is in Python) and
 * `tostring` for one element. Text keeps ElementTree's layout: `text` before the first child and
 * `tail` after each element; line ends are normalized and references decoded, as expat does.
 */

export interface XmlElement {
  tag: string;
  attrib: Map<string, string>;
  text: string | undefined;
  tail: string | undefined;
  children: XmlElement[];
}

export class XmlParseError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message}: column ${position}`);
  }
}

// XML 1.0's NameStartChar and NameChar ranges, by code point (strings, since the ranges hold joiners).
const START_RANGES =
  ":A-Z_a-z\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u02ff\\u0370-\\u037d\\u037f-\\u1fff\\u200c\\u200d\\u2070-\\u218f\\u2c00-\\u2fef\\u3001-\\ud7ff\\uf900-\\ufdcf\\ufdf0-\\ufffd\\u{10000}-\\u{effff}";
const NAME_START = new RegExp(`[${START_RANGES}]`, "u");
const NAME_CHAR = new RegExp(`[-.0-9\u00b7\u0300-\u036f\u203f\u2040${START_RANGES}]`, "u");
// XML 1.0 Char: expat refuses anything else, in text and in references alike.
const BAD_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(message: string, at = this.i): never {
    throw new XmlParseError(message, at);
  }

  parseDocument(): XmlElement {
    this.misc();
    if (this.s[this.i] !== "<") this.fail("syntax error");
    const root = this.element();
    this.misc();
    if (this.i < this.s.length) this.fail("junk after document element");
    return root;
  }

  /** Whitespace, comments and processing instructions outside the root. */
  private misc(): void {
    for (;;) {
      while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i]!)) this.i++;
      if (this.s.startsWith("<!--", this.i)) this.comment();
      else if (this.s.startsWith("<?", this.i)) this.pi();
      else return;
    }
  }

  private name(): string {
    const start = this.i;
    const first = this.s.codePointAt(this.i);
    if (first === undefined || !NAME_START.test(String.fromCodePoint(first)))
      this.fail("not well-formed (invalid token)");
    this.i += first > 0xffff ? 2 : 1;
    for (;;) {
      const cp = this.s.codePointAt(this.i);
      if (cp === undefined || !NAME_CHAR.test(String.fromCodePoint(cp))) break;
      this.i += cp > 0xffff ? 2 : 1;
    }
    return this.s.slice(start, this.i);
  }

  private element(): XmlElement {
    const open = this.i;
    this.i++; // "<"
    const tag = this.name();
    const attrib = new Map<string, string>();
    for (;;) {
      const hadSpace = this.skipSpace();
      const c = this.s[this.i];
      if (c === undefined) this.fail("no element found");
      if (c === "/" || c === ">") break;
      if (!hadSpace) this.fail("not well-formed (invalid token)");
      const attrName = this.name();
      this.skipSpace();
      if (this.s[this.i] !== "=") this.fail("not well-formed (invalid token)");
      this.i++;
      this.skipSpace();
      const quote = this.s[this.i];
      if (quote !== '"' && quote !== "'") this.fail("not well-formed (invalid token)");
      this.i++;
      const end = this.s.indexOf(quote, this.i);
      if (end < 0) this.fail("unclosed token");
      const raw = this.s.slice(this.i, end);
      if (raw.includes("<")) this.fail("not well-formed (invalid token)", this.i + raw.indexOf("<"));
      if (attrib.has(attrName)) this.fail("duplicate attribute");
      // Attribute values normalize whitespace characters to spaces (after line-end normalization).
      attrib.set(attrName, this.decode(raw, this.i).replace(/[\t\n]/g, " "));
      this.i = end + 1;
    }
    checkPrefix(tag, open, this);
    for (const k of attrib.keys()) checkPrefix(k, open, this);
    const el: XmlElement = { tag, attrib, text: undefined, tail: undefined, children: [] };
    if (this.s[this.i] === "/") {
      if (this.s[this.i + 1] !== ">") this.fail("not well-formed (invalid token)");
      this.i += 2;
      return el;
    }
    this.i++; // ">"
    this.content(el);
    // content() stops at "</"
    this.i += 2;
    const close = this.name();
    if (close !== tag) this.fail("mismatched tag", this.i - close.length - 2);
    this.skipSpace();
    if (this.s[this.i] !== ">") this.fail("not well-formed (invalid token)");
    this.i++;
    return el;
  }

  private content(el: XmlElement): void {
    let text = "";
    let last: XmlElement | undefined;
    const flush = () => {
      if (text === "") return;
      if (last) last.tail = (last.tail ?? "") + text;
      else el.text = (el.text ?? "") + text;
      text = "";
    };
    for (;;) {
      const lt = this.s.indexOf("<", this.i);
      if (lt < 0) this.fail("no element found", this.s.length);
      const chunk = this.s.slice(this.i, lt);
      if (chunk.includes("]]>")) this.fail("not well-formed (invalid token)", this.i + chunk.indexOf("]]>"));
      text += this.decode(chunk, this.i);
      this.i = lt;
      if (this.s.startsWith("</", lt)) {
        flush();
        return;
      }
      if (this.s.startsWith("<!--", lt)) {
        this.comment();
        continue;
      }
      if (this.s.startsWith("<![CDATA[", lt)) {
        const end = this.s.indexOf("]]>", lt + 9);
        if (end < 0) this.fail("unclosed CDATA section");
        const data = this.s.slice(lt + 9, end);
        checkChars(data, lt + 9, this);
        text += normalizeBreaks(data);
        this.i = end + 3;
        continue;
      }
      if (this.s.startsWith("<?", lt)) {
        this.pi();
        continue;
      }
      if (this.s.startsWith("<!", lt)) this.fail("syntax error");
      flush();
      const child = this.element();
      el.children.push(child);
      last = child;
    }
  }

  private comment(): void {
    const end = this.s.indexOf("-->", this.i + 4);
    if (end < 0) this.fail("unclosed token");
    const body = this.s.slice(this.i + 4, end);
    if (body.includes("--") || body.endsWith("-")) this.fail("not well-formed (invalid token)");
    checkChars(body, this.i + 4, this);
    this.i = end + 3;
  }

  private pi(): void {
    const start = this.i;
    this.i += 2;
    const target = this.name();
    if (target.toLowerCase() === "xml") this.fail("XML or text declaration not at start of entity", start);
    const end = this.s.indexOf("?>", this.i);
    if (end < 0) this.fail("unclosed token");
    if (end > this.i && !" \t\n\r".includes(this.s[this.i]!)) this.fail("not well-formed (invalid token)");
    this.i = end + 2;
  }

  private skipSpace(): boolean {
    const start = this.i;
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i]!)) this.i++;
    return this.i > start;
  }

  /** Character data: references decoded, "\r\n" and "\r" read as "\n", invalid characters refused. */
  private decode(raw: string, at: number): string {
    checkChars(raw, at, this);
    if (!raw.includes("&")) return normalizeBreaks(raw);
    let out = "";
    let k = 0;
    while (k < raw.length) {
      const amp = raw.indexOf("&", k);
      if (amp < 0) {
        out += normalizeBreaks(raw.slice(k));
        break;
      }
      out += normalizeBreaks(raw.slice(k, amp));
      const semi = raw.indexOf(";", amp);
      const ref = semi < 0 ? "" : raw.slice(amp + 1, semi);
      let value: string | undefined;
      if (/^#[0-9]+$/.test(ref)) value = fromCode(Number.parseInt(ref.slice(1), 10));
      else if (/^#x[0-9a-fA-F]+$/.test(ref)) value = fromCode(Number.parseInt(ref.slice(2), 16));
      else if (Object.hasOwn(ENTITIES, ref)) value = ENTITIES[ref];
      if (value === undefined) {
        const named = /^[A-Za-z_:][-\w.:]*$/.test(ref);
        this.fail(named ? "undefined entity" : "not well-formed (invalid token)", at + amp);
      }
      out += value;
      k = semi + 1;
    }
    return out;
  }
}

function fromCode(code: number): string | undefined {
  if (code > 0x10ffff) return undefined;
  const ch = String.fromCodePoint(code);
  return BAD_CHAR.test(ch) ? undefined : ch;
}

function checkChars(text: string, at: number, parser: Parser): void {
  const m = BAD_CHAR.exec(text);
  if (m) parser.fail("not well-formed (invalid token)", at + m.index);
}

function normalizeBreaks(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

/** ElementTree parses with namespaces on: a prefix other than xml/xmlns must be declared, and never is here. */
function checkPrefix(name: string, at: number, parser: Parser): void {
  const colon = name.indexOf(":");
  if (colon < 0) return;
  const prefix = name.slice(0, colon);
  if (prefix !== "xml" && prefix !== "xmlns") parser.fail("unbound prefix", at);
}

/** `ET.fromstring(text)`. */
export function xmlFromString(text: string): XmlElement {
  return new Parser(text).parseDocument();
}

/** `ET.tostring(element, encoding="unicode")`: the element, its content and its tail. */
export function xmlToString(el: XmlElement): string {
  let out = `<${el.tag}`;
  for (const [k, v] of el.attrib) out += ` ${k}="${escapeAttrib(v)}"`;
  if (el.text === undefined && el.children.length === 0) out += " />";
  else {
    out += `>${escapeText(el.text ?? "")}`;
    for (const child of el.children) out += xmlToString(child);
    out += `</${el.tag}>`;
  }
  return out + escapeText(el.tail ?? "");
}

function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttrib(s: string): string {
  return escapeText(s).replace(/"/g, "&quot;").replace(/\r/g, "&#13;").replace(/\n/g, "&#10;").replace(/\t/g, "&#09;");
}

/** `xml.sax.saxutils.quoteattr`: double quotes unless the value holds one and no single quote. */
export function quoteAttr(value: string): string {
  let v = value.replace(/&/g, "&amp;").replace(/>/g, "&gt;").replace(/</g, "&lt;");
  v = v.replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
  if (v.includes('"')) return v.includes("'") ? `"${v.replace(/"/g, "&quot;")}"` : `'${v}'`;
  return `"${v}"`;
}
