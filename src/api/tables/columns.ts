/**
 * Column definitions and the convertor builder every printer uses. Names are upstream's title
 * case (kubectl upper-cases them); priority 1 marks the -o wide columns. The server always fills
 * every cell (upstream generates server-side tables with Wide on) and kubectl drops the
 * priority>0 ones unless asked.
 */
import type { KubeObject, TableColumn, TableConvertor } from '../types.js';
import { obj, type Obj } from './access.js';
import { age, rfc3339 } from './format.js';

export function col(name: string, type: TableColumn['type'], description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

/** ObjectMeta's own documentation of name and creationTimestamp (what upstream's columns carry). */
export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. It is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATED_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const NAME_COLUMN = col('Name', 'string', NAME_DESCRIPTION, 0, 'name');
export const AGE_COLUMN = col('Age', 'string', CREATED_DESCRIPTION);
export const CONTAINERS_COLUMN = col('Containers', 'string', 'Names of each container in the template.', 1);
export const IMAGES_COLUMN = col('Images', 'string', 'Images referenced by each container in the template.', 1);
export const selectorColumn = (description: string): TableColumn => col('Selector', 'string', description, 1);

/** A convertor from its columns and a row function over the (untyped) object. */
export function convertor(columns: readonly TableColumn[], row: (object: Obj, now: Date) => unknown[]): TableConvertor {
  return { columns, row: (object: KubeObject, now: Date) => row(obj(object), now) };
}

/** The name of the object. */
export const nameOf = (object: Obj): string => {
  const name = obj(object['metadata'])['name'];
  return typeof name === 'string' ? name : '';
};

/** "Name" and "Age" only: the usual tail of a printer that adds a few cells in between. */
export function nameCellsAge(columns: readonly TableColumn[], middle: (object: Obj, now: Date) => unknown[]): TableConvertor {
  return convertor([NAME_COLUMN, ...columns, AGE_COLUMN], (o, now) => [nameOf(o), ...middle(o, now), age(o, now)]);
}

/**
 * What upstream serves for kinds without a printer (roles, cluster roles, limit ranges, CRDs...):
 * the name and the creation time as an RFC 3339 date; kubectl shows it as CREATED AT.
 */
export const defaultTable: TableConvertor = convertor(
  [NAME_COLUMN, col('Created At', 'date', CREATED_DESCRIPTION)],
  (o) => [nameOf(o), rfc3339(obj(o['metadata'])['creationTimestamp'])],
);
