/**
 * The schema notation: one compact text block per API package, one declaration per type, from
 * which OpenAPI v2/v3, strategic-merge metadata, strict field validation and protobuf decoding
 * are all derived (see index.ts). A block reads like a .proto file with the JSON facts added:
 *
 *   TypeName [type flags]
 *     jsonName  number  type  [field flags]
 *
 * jsonName `...` embeds the type's fields inline (Go's `json:",inline"`); number `-` means the
 * field has no protobuf number (kinds we never decode from protobuf). Types:
 *   string bool int32 int64 uint32 uint64 double float bytes (base64 in JSON)
 *   quantity intstr time microtime duration raw (an embedded object) fieldsv1 json (any value)
 *   []T (list), {}T (map with string keys), Name (same package), alias.Name
 *   (meta.X, runtime.X, <group>.<version>.X as core.v1.X, apiextensions.v1.X)
 * Field flags:
 *   !                required (and emitted by Go even when zero)
 *   *                Go emits it even when zero: on a scalar, a pointer (a zero value on the
 *                    protobuf wire is kept in JSON); on a list, map or struct, no omitempty
 *                    (left nil it is null in JSON)
 *   patch=S[:K]      x-kubernetes-patch-strategy S, x-kubernetes-patch-merge-key K
 *   list=atomic|set|map[:k1,k2]   x-kubernetes-list-type and list-map-keys
 *   map=atomic|granular           x-kubernetes-map-type
 *   enum=A|B|C       the values upstream's OpenAPI enumerates
 *   preserve         x-kubernetes-preserve-unknown-fields (no strict checks below)
 * Type flags: map=atomic|granular, preserve, typemeta (has apiVersion/kind without ObjectMeta).
 */

export type ScalarName =
  | 'string'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'double'
  | 'float'
  | 'bytes'
  | 'quantity'
  | 'intstr'
  | 'time'
  | 'microtime'
  | 'duration'
  | 'raw'
  | 'fieldsv1'
  | 'json';

export type TypeExpr =
  | { readonly kind: 'scalar'; readonly name: ScalarName }
  | { readonly kind: 'list'; readonly items: TypeExpr }
  | { readonly kind: 'map'; readonly values: TypeExpr }
  | { readonly kind: 'ref'; readonly definition: string };

export interface FieldDef {
  /** JSON name; '' for an inline (embedded) struct. */
  readonly name: string;
  readonly number: number | undefined;
  readonly type: TypeExpr;
  readonly inline: boolean;
  readonly required: boolean;
  readonly pointer: boolean;
  readonly patchStrategy?: string;
  readonly mergeKey?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  readonly mapType?: 'atomic' | 'granular';
  readonly enum?: readonly string[];
  readonly preserveUnknown: boolean;
}

export interface TypeDef {
  /** OpenAPI definition name, e.g. io.k8s.api.core.v1.Container. */
  readonly definition: string;
  readonly name: string;
  readonly fields: readonly FieldDef[];
  readonly mapType?: 'atomic' | 'granular';
  readonly preserveUnknown: boolean;
  /** Carries apiVersion and kind (a kind, a list kind or an options/status object). */
  readonly typeMeta: boolean;
}

const SCALARS = new Set<string>([
  'string',
  'bool',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'double',
  'float',
  'bytes',
  'quantity',
  'intstr',
  'time',
  'microtime',
  'duration',
  'raw',
  'fieldsv1',
  'json',
]);

/** Short package aliases the blocks use for references across packages. */
export function resolveDefinition(ref: string, pkg: string): string {
  if (ref.startsWith('meta.')) return `io.k8s.apimachinery.pkg.apis.meta.v1.${ref.slice(5)}`;
  if (ref.startsWith('runtime.')) return `io.k8s.apimachinery.pkg.runtime.${ref.slice(8)}`;
  if (ref.startsWith('apiextensions.')) return `io.k8s.apiextensions-apiserver.pkg.apis.${ref}`;
  if (ref.startsWith('apiregistration.')) return `io.k8s.kube-aggregator.pkg.apis.${ref}`;
  if (ref.includes('.')) return `io.k8s.api.${ref}`;
  return `${pkg}.${ref}`;
}

function parseType(text: string, pkg: string): TypeExpr {
  if (text.startsWith('[]')) return { kind: 'list', items: parseType(text.slice(2), pkg) };
  if (text.startsWith('{}')) return { kind: 'map', values: parseType(text.slice(2), pkg) };
  if (SCALARS.has(text)) return { kind: 'scalar', name: text as ScalarName };
  if (!/^[A-Za-z][\w.]*$/.test(text)) throw new Error(`bad type "${text}"`);
  return { kind: 'ref', definition: resolveDefinition(text, pkg) };
}

function parseListType(value: string): Pick<FieldDef, 'listType' | 'listMapKeys'> {
  const [type, keys] = value.split(':', 2);
  if (type !== 'atomic' && type !== 'set' && type !== 'map') throw new Error(`bad list type "${value}"`);
  return keys ? { listType: type, listMapKeys: keys.split(',') } : { listType: type };
}

function parseMapType(value: string): 'atomic' | 'granular' {
  if (value !== 'atomic' && value !== 'granular') throw new Error(`bad map type "${value}"`);
  return value;
}

function parseField(line: string, pkg: string): FieldDef {
  const [name, number, type, ...flags] = line.trim().split(/\s+/);
  if (!name || !number || !type) throw new Error('expected "name number type [flags]"');
  let field: FieldDef = {
    name: name === '...' ? '' : name,
    number: number === '-' ? undefined : Number(number),
    type: parseType(type, pkg),
    inline: name === '...',
    required: false,
    pointer: false,
    preserveUnknown: false,
  };
  if (field.number !== undefined && !(Number.isInteger(field.number) && field.number > 0)) {
    throw new Error(`bad field number "${number}"`);
  }
  for (const flag of flags) {
    const [key, value = ''] = flag.split('=', 2);
    if (flag === '!') field = { ...field, required: true };
    else if (flag === '*') field = { ...field, pointer: true };
    else if (flag === 'preserve') field = { ...field, preserveUnknown: true };
    else if (key === 'patch') {
      const [strategy, mergeKey] = value.split(':', 2);
      field = { ...field, patchStrategy: strategy ?? '', ...(mergeKey ? { mergeKey } : {}) };
    } else if (key === 'list') field = { ...field, ...parseListType(value) };
    else if (key === 'map') field = { ...field, mapType: parseMapType(value) };
    else if (key === 'enum') field = { ...field, enum: value.split('|') };
    else throw new Error(`unknown field flag "${flag}"`);
  }
  return field;
}

/** Parses one package's block; errors name the package and line so a typo is found at once. */
export function defs(pkg: string, text: string): TypeDef[] {
  const types: TypeDef[] = [];
  let current: { name: string; flags: string[]; fields: FieldDef[] } | undefined;
  const finish = (): void => {
    if (!current) return;
    const { name, flags, fields } = current;
    const mapFlag = flags.find((f) => f.startsWith('map='));
    const hasMeta = fields.some(
      (f) => f.name === 'metadata' && f.type.kind === 'ref' && /\.(ObjectMeta|ListMeta)$/.test(f.type.definition),
    );
    types.push({
      definition: `${pkg}.${name}`,
      name,
      fields,
      ...(mapFlag ? { mapType: parseMapType(mapFlag.slice(4)) } : {}),
      preserveUnknown: flags.includes('preserve'),
      // Templates embed ObjectMeta without being kinds themselves.
      typeMeta: flags.includes('typemeta') || (hasMeta && !/(TemplateSpec|ClaimTemplate)$/.test(name)),
    });
  };
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*$/, '').trimEnd();
    if (!line.trim()) return;
    try {
      if (!/^\s/.test(line)) {
        finish();
        const [name = '', ...flags] = line.split(/\s+/);
        current = { name, flags, fields: [] };
      } else {
        if (!current) throw new Error('field before any type');
        current.fields.push(parseField(line, pkg));
      }
    } catch (error) {
      throw new Error(`schema ${pkg} line ${index}: ${(error as Error).message}: ${raw.trim()}`, { cause: error });
    }
  });
  finish();
  return types;
}
