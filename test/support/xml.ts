/**
 * A strict little XML reader for the kit's own tests: enough of XML 1.0 (prolog, elements,
 * double-quoted attributes, text, the five entities) to prove a report is well formed.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  return raw.replace(/&([a-z]+|#\d+|#x[0-9a-f]+);|&/gi, (match, name: string | undefined) => {
    if (!name) throw new Error(`bare & near offset ${at}`);
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    if (!(name in ENTITIES)) throw new Error(`unknown entity ${match} near offset ${at}`);
    return ENTITIES[name];
  });
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}`);
  };
  const skipSpace = () => {
    while (/\s/.test(source[i] ?? '')) i++;
  };
  const name = () => {
    const m = /^[A-Za-z_][\w.-]*/.exec(source.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  skipSpace();
  if (source.startsWith('<?xml', i)) {
    const end = source.indexOf('?>', i);
    if (end < 0) fail('unterminated prolog');
    i = end + 2;
    skipSpace();
  }
  const element = (): XmlElement => {
    if (source[i] !== '<') fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      const attr = name();
      skipSpace();
      if (source[i] !== '=') fail('expected =');
      i++;
      skipSpace();
      if (source[i] !== '"') fail('expected "');
      const end = source.indexOf('"', i + 1);
      if (end < 0) fail('unterminated attribute');
      const raw = source.slice(i + 1, end);
      if (raw.includes('<')) fail('< inside an attribute');
      if (attr in el.attributes) fail(`duplicate attribute ${attr}`);
      el.attributes[attr] = decode(raw, i);
      i = end + 1;
    }
    for (;;) {
      if (i >= source.length) fail(`unclosed <${el.name}>`);
      if (source.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (source[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      if (source[i] === '<') el.children.push(element());
      else {
        const next = source.indexOf('<', i);
        const end = next < 0 ? source.length : next;
        el.text += decode(source.slice(i, end), i);
        i = end;
      }
    }
  };
  const root = element();
  skipSpace();
  if (i !== source.length) fail('content after the root element');
  return root;
}

export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (el: XmlElement) => {
    if (el.name === name) found.push(el);
    el.children.forEach(walk);
  };
  walk(root);
  return found;
}
