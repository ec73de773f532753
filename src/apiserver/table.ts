/**
 * meta.k8s.io Table responses (what `kubectl get` asks for): columns and cells from the
 * catalogue's convertor for the kind, each row carrying the object as PartialObjectMetadata
 * (includeObject=Metadata, the default), the whole object (Object) or nothing (None).
 * Kinds without a convertor get upstream's default: Name and Created At.
 */
import type { KubeObject, ResourceInfo, TableColumn, TableConvertor } from '../api/types.js';
import { badRequest } from './errors.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  readonly version: 'v1' | 'v1beta1';
  readonly includeObject: IncludeObject;
  /** Only the first watch event carries columnDefinitions. */
  readonly withColumns: boolean;
  readonly now: Date;
}

const DEFAULT_CONVERTOR: TableConvertor = {
  columns: [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace. It is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
      priority: 0,
    },
    {
      name: 'Created At',
      type: 'date',
      format: '',
      description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
      priority: 0,
    },
  ],
  row: (object) => [object.metadata?.name ?? '', object.metadata?.creationTimestamp ?? ''],
};

export function convertorOf(info: ResourceInfo): TableConvertor {
  return info.table ?? DEFAULT_CONVERTOR;
}

export function parseIncludeObject(value: string | null): IncludeObject {
  if (value === null || value === '' || value === 'Metadata') return 'Metadata';
  if (value === 'None' || value === 'Object') return value;
  throw badRequest(`includeObject: Unsupported value: "${value}": supported values: "None", "Metadata", "Object"`);
}

function rowObject(object: KubeObject, include: IncludeObject, version: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: object.metadata ?? {} };
}

function row(convertor: TableConvertor, object: KubeObject, options: TableOptions): Record<string, unknown> {
  let cells: unknown[];
  try {
    cells = convertor.row(object, options.now);
  } catch {
    // A printer must never fail a whole list over one odd object; show what is certain.
    cells = convertor.columns.map((c, i) => (i === 0 ? (object.metadata?.name ?? '') : c.type === 'string' ? '<unknown>' : null));
  }
  const out: Record<string, unknown> = { cells };
  const obj = rowObject(object, options.includeObject, options.version);
  if (obj !== undefined) out['object'] = obj;
  return out;
}

export function toTable(info: ResourceInfo, objects: readonly KubeObject[], listMeta: Record<string, unknown>, options: TableOptions): Record<string, unknown> {
  const convertor = convertorOf(info);
  const columns: TableColumn[] = options.withColumns ? [...convertor.columns] : [];
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata: listMeta,
    columnDefinitions: columns,
    rows: objects.map((o) => row(convertor, o, options)),
  };
}
