/**
 * The strategic-merge-patch / server-side-apply navigator (PatchMeta in ../types.ts) over the
 * declared schemas: field by field from a kind's root, carrying each field's patch strategy,
 * merge key, list type and map type. Positions the schema does not know answer an empty meta,
 * so unknown lists replace, as upstream does for fields without patch metadata.
 */
import type { PatchMeta } from '../types.js';
import type { FieldDef, TypeExpr } from './dsl.js';
import { jsonFields, typeDef } from './registry.js';

const EMPTY: PatchMeta = {
  field: () => EMPTY,
  items: () => EMPTY,
};

const byDefinition = new Map<string, PatchMeta>();

/** The navigator for a type's root (a kind's definition, e.g. io.k8s.api.apps.v1.Deployment). */
export function patchMetaOf(definition: string): PatchMeta {
  let meta = byDefinition.get(definition);
  if (meta) return meta;
  const type = typeDef(definition);
  if (!type || type.preserveUnknown) return EMPTY;
  const fields = jsonFields(type);
  const children = new Map<string, PatchMeta>();
  meta = {
    ...(type.mapType ? { mapType: type.mapType } : {}),
    field(name: string): PatchMeta {
      let child = children.get(name);
      if (!child) {
        const def = fields.get(name);
        child = def ? fieldMeta(def) : EMPTY;
        children.set(name, child);
      }
      return child;
    },
    items: () => EMPTY,
  };
  byDefinition.set(definition, meta);
  return meta;
}

/** The meta of a value of a type expression with no field-level annotations. */
function valueMeta(type: TypeExpr): PatchMeta {
  switch (type.kind) {
    case 'ref':
      return patchMetaOf(type.definition);
    case 'list': {
      const items = valueMeta(type.items);
      return { listType: 'atomic', field: () => EMPTY, items: () => items };
    }
    case 'map': {
      const values = valueMeta(type.values);
      return { mapType: 'granular', field: () => values, items: () => values };
    }
    default:
      return EMPTY;
  }
}

function fieldMeta(def: FieldDef): PatchMeta {
  if (def.preserveUnknown) return EMPTY;
  const base = valueMeta(def.type);
  const annotated: PatchMeta = {
    field: (name) => base.field(name),
    items: () => base.items(),
    ...(def.mergeKey !== undefined ? { mergeKey: def.mergeKey } : {}),
    ...(def.patchStrategy ? { strategy: def.patchStrategy } : {}),
    ...listTypeOf(def, base),
    ...(def.listMapKeys ? { listMapKeys: def.listMapKeys } : {}),
    ...(def.mapType ? { mapType: def.mapType } : base.mapType ? { mapType: base.mapType } : {}),
  };
  return annotated;
}

/**
 * The list type: declared, else derived the way upstream's SSA schema does for lists that only
 * carry patch metadata (merge with a key: a map keyed by it; merge without: a set; else atomic).
 */
function listTypeOf(def: FieldDef, base: PatchMeta): Pick<PatchMeta, 'listType'> {
  if (def.type.kind !== 'list') return {};
  if (def.listType) return { listType: def.listType };
  const merge = (def.patchStrategy ?? '').split(',').includes('merge');
  if (merge) return { listType: def.mergeKey !== undefined ? 'map' : 'set' };
  return base.listType ? { listType: base.listType } : {};
}
