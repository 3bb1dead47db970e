// Minimal XML for payout files: an element tree, a serialiser that escapes every text and
// attribute value, and a small strict parser (elements, attributes, text, the XML
// declaration, the five predefined entities and numeric character references; no DTDs,
// comments or CDATA, which our files never contain). The parser exists so every file we
// write is read back and checked before it is handed to a bank.

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Text content; only leaf elements carry text in the files we write. */
  readonly text: string;
}

export function el(name: string, content: string | readonly XmlElement[], attrs: Record<string, string> = {}): XmlElement {
  return typeof content === "string"
    ? { name, attrs, children: [], text: content }
    : { name, attrs, children: content, text: "" };
}

// XML 1.0 §2.2 Char production, minus what we never emit: C0 controls other than
// tab/newline/CR, U+FFFE/U+FFFF and lone surrogates make a document not well-formed.
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export class XmlError extends Error {}

export function escapeXml(text: string): string {
  if (NOT_XML_CHAR.test(text)) throw new XmlError("text contains a character XML 1.0 cannot carry");
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** Serialises with two-space indentation; leaf text is written inline so no whitespace
 *  is added to any value. */
export function serialize(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  const stack: { e: XmlElement; depth: number; close: boolean }[] = [{ e: root, depth: 0, close: false }];
  while (stack.length > 0) {
    const { e, depth, close } = stack.pop()!;
    const pad = "  ".repeat(depth);
    if (close) { out.push(`${pad}</${e.name}>\n`); continue; }
    const attrs = Object.entries(e.attrs).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join("");
    if (e.children.length === 0) {
      out.push(`${pad}<${e.name}${attrs}>${escapeXml(e.text)}</${e.name}>\n`);
      continue;
    }
    out.push(`${pad}<${e.name}${attrs}>\n`);
    stack.push({ e, depth, close: true });
    for (let i = e.children.length - 1; i >= 0; i--) stack.push({ e: e.children[i]!, depth: depth + 1, close: false });
  }
  return out.join("");
}

const NAME = /^[A-Za-z_][A-Za-z0-9._:-]*/;
/** Nesting bound for the parser: pain.001 nests 6 deep; anything far deeper is not ours. */
const DEPTH_MAX = 64;

function decodeEntities(raw: string, at: number): string {
  return raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) throw new XmlError(`bare '&' near offset ${at}`);
    if (ent.startsWith("#x")) return String.fromCodePoint(parseInt(ent.slice(2), 16));
    if (ent.startsWith("#")) return String.fromCodePoint(parseInt(ent.slice(1), 10));
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    const v = named[ent];
    if (v === undefined) throw new XmlError(`unknown entity '${m}' near offset ${at}`);
    return v;
  });
}

interface Open { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

/** Parses a whole document; throws XmlError on anything not well-formed. */
export function parseXml(doc: string): XmlElement {
  let i = 0;
  if (doc.startsWith("<?xml")) {
    const end = doc.indexOf("?>");
    if (end < 0) throw new XmlError("unterminated XML declaration");
    i = end + 2;
  }
  const stack: Open[] = [];
  let root: XmlElement | null = null;
  while (i < doc.length) {
    const lt = doc.indexOf("<", i);
    const text = doc.slice(i, lt < 0 ? doc.length : lt);
    if (text.includes(">")) throw new XmlError(`stray '>' near offset ${i}`);
    if (stack.length === 0) {
      if (text.trim() !== "") throw new XmlError(`text outside the root element near offset ${i}`);
    } else {
      stack[stack.length - 1]!.text += decodeEntities(text, i);
    }
    if (lt < 0) break;
    if (doc.startsWith("</", lt)) {
      const m = NAME.exec(doc.slice(lt + 2));
      const close = m === null ? -1 : doc.indexOf(">", lt);
      if (m === null || doc.slice(lt + 2 + m[0].length, close).trim() !== "") throw new XmlError(`bad end tag near offset ${lt}`);
      const open = stack.pop();
      if (open === undefined || open.name !== m[0]) throw new XmlError(`end tag </${m[0]}> does not match <${open?.name ?? "(none)"}> near offset ${lt}`);
      const done = finish(open);
      if (stack.length === 0) { if (root !== null) throw new XmlError("two root elements"); root = done; }
      else stack[stack.length - 1]!.children.push(done);
      i = close + 1;
      continue;
    }
    const close = doc.indexOf(">", lt);
    if (close < 0) throw new XmlError(`unterminated tag near offset ${lt}`);
    const inner = doc.slice(lt + 1, close);
    const selfClosing = inner.endsWith("/");
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const m = NAME.exec(body);
    if (m === null) throw new XmlError(`bad tag near offset ${lt}`);
    const attrs = parseAttrs(body.slice(m[0].length), lt);
    if (stack.length === 0 && root !== null) throw new XmlError("content after the root element");
    const open: Open = { name: m[0], attrs, children: [], text: "" };
    if (selfClosing) {
      const done = finish(open);
      if (stack.length === 0) root = done; else stack[stack.length - 1]!.children.push(done);
    } else {
      if (stack.length >= DEPTH_MAX) throw new XmlError("nesting too deep");
      stack.push(open);
    }
    i = close + 1;
  }
  if (stack.length > 0) throw new XmlError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (root === null) throw new XmlError("no root element");
  return root;
}

function parseAttrs(raw: string, at: number): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /\s+([A-Za-z_][A-Za-z0-9._:-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/y;
  let pos = 0;
  while (pos < raw.length) {
    if (raw.slice(pos).trim() === "") break;
    re.lastIndex = pos;
    const m = re.exec(raw);
    if (m === null) throw new XmlError(`bad attribute near offset ${at}`);
    if (m[1]! in attrs) throw new XmlError(`duplicate attribute '${m[1]}' near offset ${at}`);
    attrs[m[1]!] = decodeEntities(m[3] ?? m[4] ?? "", at);
    pos = re.lastIndex;
  }
  return attrs;
}

function finish(o: Open): XmlElement {
  // Mixed content is not something we write: whitespace between child elements is
  // formatting, text is only meaningful in leaves.
  if (o.children.length > 0 && o.text.trim() !== "") throw new XmlError(`<${o.name}> mixes text and elements`);
  return { name: o.name, attrs: o.attrs, children: o.children, text: o.children.length > 0 ? "" : o.text };
}

/** First child with that name, or undefined. */
export function child(e: XmlElement, name: string): XmlElement | undefined {
  return e.children.find((c) => c.name === name);
}

/** Follows a path of child names; throws if a step is missing. */
export function at(e: XmlElement, ...path: string[]): XmlElement {
  let cur = e;
  for (const p of path) {
    const next = child(cur, p);
    if (next === undefined) throw new XmlError(`<${cur.name}> has no <${p}>`);
    cur = next;
  }
  return cur;
}
