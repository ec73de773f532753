/**
 * YAML bodies (apply-patch+yaml, application/yaml) parsed to JSON values, with duplicate keys
 * reported by path like the JSON parser does (the yaml package would otherwise refuse them or
 * keep the last silently).
 */
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';

export interface ParsedYaml {
  readonly value: unknown;
  readonly duplicates: string[];
}

export function parseYamlWithDuplicates(text: string): ParsedYaml {
  const doc = parseDocument(text, { uniqueKeys: false, version: '1.2' });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new SyntaxError(`invalid YAML: ${first?.message ?? 'parse error'}`, { cause: first });
  }
  const duplicates: string[] = [];
  collect(doc.contents, '', duplicates);
  return { value: doc.toJS({ maxAliasCount: 100 }) as unknown, duplicates };
}

function collect(node: Node | null | undefined, path: string, duplicates: string[]): void {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const at = path ? `${path}.${key}` : key;
      if (seen.has(key)) duplicates.push(at);
      seen.add(key);
      collect(pair.value as Node | null, at, duplicates);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => collect(item as Node | null, `${path}[${index}]`, duplicates));
  }
}
