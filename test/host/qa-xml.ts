// A strict little XML 1.0 well-formedness reader for the JUnit tests (no XML parser is a
// dependency): elements nest and close, attributes are quoted and unique, every '&' starts
// a known entity or character reference, no raw '<' in text or attributes, and no
// character XML forbids. Returns the element tree.
export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*/;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  if (raw.includes("<")) throw new Error(`raw '<' in ${where}`);
  return raw.replace(/&([^;]*);?/g, (m, ref: string) => {
    if (!m.endsWith(";")) throw new Error(`unterminated reference in ${where}: ${m}`);
    if (ref in ENTITIES) return ENTITIES[ref]!;
    const n = /^#x([0-9a-fA-F]+)$/.exec(ref) ?? /^#(\d+)$/.exec(ref);
    if (!n) throw new Error(`unknown entity &${ref}; in ${where}`);
    return String.fromCodePoint(ref.startsWith("#x") ? parseInt(n[1]!, 16) : Number(n[1]));
  });
}

export function parseXml(xml: string): XmlElement {
  if (FORBIDDEN.test(xml)) throw new Error("forbidden character in the document");
  let at = 0;
  const decl = /^<\?xml [^?]*\?>\s*/.exec(xml);
  if (decl) at = decl[0].length;
  const root: XmlElement = { name: "#document", attrs: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  while (at < xml.length) {
    const lt = xml.indexOf("<", at);
    const text = xml.slice(at, lt < 0 ? xml.length : lt);
    stack.at(-1)!.text += decode(text, `text of <${stack.at(-1)!.name}>`);
    if (lt < 0) break;
    const gt = xml.indexOf(">", lt);
    if (gt < 0) throw new Error("unterminated tag");
    const tag = xml.slice(lt + 1, gt);
    at = gt + 1;
    if (tag.startsWith("/")) {
      const open = stack.pop();
      if (open === undefined || open.name !== tag.slice(1)) throw new Error(`</${tag.slice(1)}> closes <${open?.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith("/");
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = NAME.exec(body)?.[0];
    if (name === undefined) throw new Error(`bad tag <${tag.slice(0, 30)}>`);
    const el: XmlElement = { name, attrs: {}, children: [], text: "" };
    let rest = body.slice(name.length);
    const ATTR = /^\s+([A-Za-z_][A-Za-z0-9_.:-]*)="([^"]*)"/;
    for (let m = ATTR.exec(rest); m; m = ATTR.exec(rest)) {
      if (m[1]! in el.attrs) throw new Error(`duplicate attribute ${m[1]} on <${name}>`);
      el.attrs[m[1]!] = decode(m[2]!, `attribute ${m[1]} of <${name}>`);
      rest = rest.slice(m[0].length);
    }
    if (rest.trim() !== "") throw new Error(`bad attributes on <${name}>: ${rest.slice(0, 40)}`);
    stack.at(-1)!.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (root.children.length !== 1 || root.text.trim() !== "") throw new Error("a document has exactly one root element");
  return root.children[0]!;
}
