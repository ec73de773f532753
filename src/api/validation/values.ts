/** Readers for untyped JSON and Go-style renderings of structured bad values. */
export type Json = Record<string, unknown>;

export const rec = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');
export const list = (value: unknown): Json[] => (Array.isArray(value) ? value.map(rec) : []);
export const isSet = (value: unknown): boolean => value !== undefined && value !== null;
export const at = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => rec(v)[k], value);

/** An intstr.IntOrString as %#v prints it inside "Invalid value: ...". */
export function goIntOrString(value: unknown): string {
  return typeof value === 'number'
    ? `intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}`
    : `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(text(value))}}`;
}

/** A label selector as %#v prints it (v1.LabelSelector{MatchLabels:..., MatchExpressions:...}). */
export function goLabelSelector(value: unknown): string {
  const sel = rec(value);
  const labels = Object.entries(rec(sel['matchLabels'])).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const labelText = labels.length === 0 ? 'map[string]string(nil)' : `map[string]string{${labels.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(text(v))}`).join(', ')}}`;
  const exprs = list(sel['matchExpressions']);
  const exprText =
    exprs.length === 0
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((e) => {
            const values = Array.isArray(e['values']) ? `[]string{${e['values'].map((v) => JSON.stringify(text(v))).join(', ')}}` : '[]string(nil)';
            return `v1.LabelSelectorRequirement{Key:${JSON.stringify(text(e['key']))}, Operator:${JSON.stringify(text(e['operator']))}, Values:${values}}`;
          })
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${labelText}, MatchExpressions:${exprText}}`;
}

/** Whether a label selector selects a label set (matchLabels and matchExpressions). */
export function selectorMatches(selector: unknown, labels: unknown): boolean {
  const sel = rec(selector);
  const set = rec(labels);
  for (const [k, v] of Object.entries(rec(sel['matchLabels']))) if (set[k] !== v) return false;
  for (const e of list(sel['matchExpressions'])) {
    const key = text(e['key']);
    const values = Array.isArray(e['values']) ? e['values'].map(text) : [];
    const has = Object.hasOwn(set, key);
    switch (e['operator']) {
      case 'In':
        if (!has || !values.includes(text(set[key]))) return false;
        break;
      case 'NotIn':
        if (has && values.includes(text(set[key]))) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
