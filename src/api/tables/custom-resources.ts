/**
 * Tables of custom resources, from their CRD version's additionalPrinterColumns as upstream's
 * apiextensions server builds them: NAME first, then each column's JSONPath value typed per
 * column (dates become ages), and an AGE column when the CRD declares none.
 */
import type { TableColumn, TableConvertor } from '../types.js';
import { CREATED_DESCRIPTION, NAME_COLUMN, nameOf } from './columns.js';
import { humanDuration } from './format.js';
import { evaluateJsonPath, parseJsonPath } from './jsonpath.js';

/** apiextensions.k8s.io/v1 CustomResourceColumnDefinition. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number;
  readonly jsonPath: string;
}

const DEFAULT_COLUMNS: readonly PrinterColumn[] = [
  { name: 'Age', type: 'date', description: CREATED_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' },
];

/** The printer columns of one served version of a CRD object (its default when there are none). */
export function printerColumnsOf(crd: unknown, version: string): readonly PrinterColumn[] {
  const spec = (crd as { spec?: { versions?: { name?: string; additionalPrinterColumns?: PrinterColumn[] }[] } } | undefined)?.spec;
  const columns = spec?.versions?.find((v) => v.name === version)?.additionalPrinterColumns ?? [];
  return columns.length > 0 ? columns : DEFAULT_COLUMNS;
}

/** Go's fmt rendering of a scalar, and json.Marshal for maps and lists (jsonpath's PrintResults). */
function printed(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') return JSON.stringify(sortKeys(value));
  return String(value);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** cellForJSONValue: the cell for a value of the column's declared type (null when it does not fit). */
function cell(type: string, value: unknown, now: Date): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      return printed(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '') return '<unknown>';
      const time = Date.parse(value);
      return Number.isNaN(time) ? '<invalid>' : humanDuration(now.getTime() - time);
    }
    default:
      return null;
  }
}

/**
 * The convertor for a custom resource version; throws on a JSONPath upstream would refuse
 * ("unrecognized column definition"), which CRD validation reports before this is reached.
 */
export function customResourceTable(columns: readonly PrinterColumn[]): TableConvertor {
  const paths = columns.map((c) => {
    try {
      return parseJsonPath(c.jsonPath);
    } catch {
      throw new Error(`unrecognized column definition ${JSON.stringify(c.jsonPath)}`);
    }
  });
  const definitions: TableColumn[] = [
    NAME_COLUMN,
    ...columns.map((c) => ({
      name: c.name,
      type: c.type as TableColumn['type'],
      format: c.format ?? '',
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns: definitions,
    row: (object, now) => [nameOf(object), ...columns.map((c, i) => cell(c.type, evaluateJsonPath(paths[i] ?? [], object)[0], now))],
  };
}
