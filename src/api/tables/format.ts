/**
 * Cell formatting shared by the printers, matching upstream's (k8s.io/kubernetes
 * pkg/printers/internalversion and apimachinery's duration and label-selector rendering).
 */
import { arr, at, obj, str, type Obj } from './access.js';

/** apimachinery duration.HumanDuration: "45s", "3m2s", "15m", "5h3m", "20h", "3d4h", "40d", "2y3d". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** translateTimestampSince: "<unknown>" for an unset time. */
export function since(timestamp: unknown, now: Date): string {
  const text = str(timestamp);
  const time = text ? Date.parse(text) : NaN;
  if (Number.isNaN(time)) return '<unknown>';
  return humanDuration(now.getTime() - time);
}

export function age(object: unknown, now: Date): string {
  return since(at(object, 'metadata', 'creationTimestamp'), now);
}

/** labels.FormatLabels: sorted "k=v,k2=v2", "<none>" when empty. */
export function formatLabels(map: unknown): string {
  const entries = Object.entries(obj(map)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '<none>';
  return entries.map(([k, v]) => `${k}=${str(v)}`).join(',');
}

/**
 * metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, set values sorted;
 * "" for an empty or absent selector.
 */
export function selectorString(selector: unknown): string {
  const sel = obj(selector);
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(obj(sel['matchLabels']))) reqs.push({ key, text: `${key}=${str(value)}` });
  for (const expr of arr(sel['matchExpressions'])) {
    const key = str(obj(expr)['key']);
    const values = arr(obj(expr)['values']).map(str).sort();
    const set = `(${[...new Set(values)].join(',')})`;
    switch (str(obj(expr)['operator'])) {
      case 'In':
        reqs.push({ key, text: `${key} in ${set}` });
        break;
      case 'NotIn':
        reqs.push({ key, text: `${key} notin ${set}` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return '<error>';
    }
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: like selectorString but "<none>" when empty. */
export function formatSelector(selector: unknown): string {
  return selectorString(selector) || '<none>';
}

/** The CONTAINERS and IMAGES cells of workload printers. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = arr(obj(podSpec)['containers']).map(obj);
  return [containers.map((c) => str(c['name'])).join(','), containers.map((c) => str(c['image'])).join(',')];
}

/** A condition of status.conditions by type. */
export function condition(object: unknown, type: string): Obj | undefined {
  return arr(at(object, 'status', 'conditions'))
    .map(obj)
    .find((c) => c['type'] === type);
}

/** metav1.Time as upstream serialises it for "Created At" cells. */
export function rfc3339(timestamp: unknown): string {
  const time = Date.parse(str(timestamp));
  // Go prints its zero time for an unset timestamp.
  return Number.isNaN(time) ? '0001-01-01T00:00:00Z' : new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}


/** "a,b,c + 2 more..." with at most `max` items; `empty` when there are none. */
export function listWithMore(items: readonly string[], max = 3, empty = '<unset>'): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}

/** net.JoinHostPort: IPv6 literals in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A resource.Quantity cell: stored quantities are already canonical strings; unset is "0". */
export function quantity(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : '0';
}

/** printBoolPtr: "True", "False", "<unset>". */
export function boolPtr(value: unknown): string {
  if (typeof value !== 'boolean') return '<unset>';
  return value ? 'True' : 'False';
}

/** helper.GetAccessModesAsString: fixed order RWO, ROX, RWX, RWOP, duplicates dropped. */
export function accessModes(modes: unknown): string {
  const set = new Set(arr(modes).map(str));
  const short: [string, string][] = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short
    .filter(([mode]) => set.has(mode))
    .map(([, s]) => s)
    .join(',');
}

/** Sorted unique strings (Go's sets.String.List()). */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
