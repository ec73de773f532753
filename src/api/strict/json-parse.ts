/**
 * A JSON parser that yields the same value as JSON.parse and also reports duplicate object
 * keys by path ("metadata.name", "spec.containers[0].name"), which strict field validation
 * needs and JSON.parse silently resolves (last one wins, as here).
 */

export class JsonSyntaxError extends SyntaxError {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface ParsedJson {
  readonly value: unknown;
  /** Paths of keys that appeared more than once in their object, in document order. */
  readonly duplicates: string[];
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function parseJsonWithDuplicates(text: string): ParsedJson {
  let pos = 0;
  const duplicates: string[] = [];

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`invalid JSON at offset ${pos}: ${what}`, pos);
  };
  const skip = (): void => {
    while (pos < text.length && WS.has(text.charCodeAt(pos))) pos++;
  };
  const expect = (char: string): void => {
    if (text[pos] !== char) fail(`expected '${char}'`);
    pos++;
  };

  const string = (): string => {
    const start = ++pos;
    // Fast path: no escapes.
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) return text.slice(start, pos++);
      if (c === 0x5c) break;
      if (c < 0x20) fail('control character in string');
      pos++;
    }
    pos = start - 1;
    const end = scanStringEnd();
    const raw = text.slice(pos, end);
    pos = end;
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('bad string escape');
    }
  };
  const scanStringEnd = (): number => {
    let i = pos + 1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i += 2;
      else if (c === 0x22) return i + 1;
      else i++;
    }
    return fail('unterminated string');
  };

  const number = (): number => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (!match) return fail('bad number');
    pos += match[0].length;
    return Number(match[0]);
  };

  const literal = (word: string, value: unknown): unknown => {
    if (!text.startsWith(word, pos)) fail('unexpected token');
    pos += word.length;
    return value;
  };

  const value = (path: string, depth: number): unknown => {
    if (depth > 10_000) fail('nesting too deep');
    skip();
    const c = text[pos];
    if (c === '{') return object(path, depth);
    if (c === '[') return array(path, depth);
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    return fail(c === undefined ? 'unexpected end of input' : 'unexpected token');
  };

  const object = (path: string, depth: number): Record<string, unknown> => {
    pos++;
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    skip();
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      skip();
      if (text[pos] !== '"') fail('expected a string key');
      const key = string();
      const at = path ? `${path}.${key}` : key;
      if (seen.has(key)) duplicates.push(at);
      seen.add(key);
      skip();
      expect(':');
      const v = value(at, depth + 1);
      // Own-property define, so "__proto__" is data, not the prototype (as JSON.parse does).
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      skip();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      expect('}');
      return out;
    }
  };

  const array = (path: string, depth: number): unknown[] => {
    pos++;
    const out: unknown[] = [];
    skip();
    if (text[pos] === ']') {
      pos++;
      return out;
    }
    for (;;) {
      out.push(value(`${path}[${out.length}]`, depth + 1));
      skip();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      expect(']');
      return out;
    }
  };

  const result = value('', 0);
  skip();
  if (pos < text.length) fail('unexpected data after the JSON value');
  return { value: result, duplicates };
}
