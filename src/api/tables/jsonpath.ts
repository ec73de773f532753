/**
 * The subset of kubectl's JSONPath that CRD printer columns use: `.field`, `['field']`, `[n]`,
 * `[*]`, `..field` (recursive) and filters `[?(@.a.b == "x")]` with == and !=. Missing keys yield
 * no results (AllowMissingKeys), as upstream's custom resource tables do.
 */

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'wildcard' }
  | { kind: 'recursive'; name: string }
  | { kind: 'filter'; path: Step[]; op: '==' | '!=' | 'exists'; value: unknown };

export class JsonPathError extends Error {}

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  throw new JsonPathError(`unrecognized literal ${t}`);
}

/** Parses `.a.b[0]` (with or without the surrounding `{}`) into steps. */
export function parseJsonPath(expression: string): Step[] {
  let text = expression.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim();
  if (text.startsWith('$')) text = text.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const readName = (): string => {
    let name = '';
    while (i < text.length && text[i] !== '.' && text[i] !== '[') {
      // A backslash escapes a dot inside a key, as in .metadata.labels.app\.kubernetes\.io/name.
      if (text[i] === '\\' && i + 1 < text.length) i++;
      name += text[i];
      i++;
    }
    return name;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') {
        i += 2;
        steps.push({ kind: 'recursive', name: readName() });
        continue;
      }
      i++;
      if (text[i] === '*') {
        i++;
        steps.push({ kind: 'wildcard' });
        continue;
      }
      const name = readName();
      if (name) steps.push({ kind: 'field', name });
      continue;
    }
    if (c === '[') {
      const close = findClose(text, i);
      const inner = text.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else throw new JsonPathError(`unrecognized subscript [${inner}]`);
      continue;
    }
    throw new JsonPathError(`unrecognized character in JSONPath ${JSON.stringify(expression)} at ${i}`);
  }
  return steps;
}

function findClose(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new JsonPathError(`unclosed [ in ${JSON.stringify(text)}`);
}

function parseFilter(body: string): Step {
  const m = /^@((?:\.[^\s=!<>]+)*)\s*(==|!=)\s*(.+)$/.exec(body.trim());
  if (m) return { kind: 'filter', path: parseJsonPath(m[1] ?? ''), op: m[2] as '==' | '!=', value: parseLiteral(m[3] ?? '') };
  const exists = /^@((?:\.[^\s]+)+)$/.exec(body.trim());
  if (exists) return { kind: 'filter', path: parseJsonPath(exists[1] ?? ''), op: 'exists', value: undefined };
  throw new JsonPathError(`unrecognized filter ${body}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isRecord(value)) return Object.keys(value).sort().map((k) => value[k]);
  return [];
}

function descend(value: unknown, name: string, out: unknown[]): void {
  if (isRecord(value) && name in value) out.push(value[name]);
  for (const child of children(value)) descend(child, name, out);
}

/** Every value the path selects, in document order. */
export function evaluateJsonPath(steps: readonly Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (step.kind) {
        case 'field':
          if (isRecord(value) && step.name in value) next.push(value[step.name]);
          break;
        case 'index':
          if (Array.isArray(value)) {
            const at = step.index < 0 ? value.length + step.index : step.index;
            if (at >= 0 && at < value.length) next.push(value[at]);
          }
          break;
        case 'wildcard':
          next.push(...children(value));
          break;
        case 'recursive':
          descend(value, step.name, next);
          break;
        case 'filter':
          for (const item of Array.isArray(value) ? value : [value]) {
            const found = evaluateJsonPath(step.path, item);
            const matches =
              step.op === 'exists' ? found.length > 0 : step.op === '==' ? found.some((f) => f === step.value) : found.length > 0 && found.every((f) => f !== step.value);
            if (matches) next.push(item);
          }
          break;
      }
    }
    current = next;
  }
  return current;
}
