/**
 * Cron schedules as the cron job controller parses them (standard 5 fields or a descriptor);
 * errors are worded as robfig/cron's, which upstream puts after "Invalid value".
 */
interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}
const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function atoi(text: string, expr: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function value(text: string, bounds: Bounds, expr: string): number {
  const named = bounds.names?.[text.toLowerCase()];
  return named ?? atoi(text, expr);
}

function parseRange(expr: string, bounds: Bounds): void {
  const slash = expr.split('/');
  const range = slash[0] ?? '';
  const hyphen = range.split('-');
  let start: number;
  let end: number;
  if (range === '*' || range === '?') {
    start = bounds.min;
    end = bounds.max;
  } else {
    start = value(hyphen[0] ?? '', bounds, expr);
    if (hyphen.length === 1) end = start;
    else if (hyphen.length === 2) end = value(hyphen[1] ?? '', bounds, expr);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  if (slash.length === 2) {
    const step = atoi(slash[1] ?? '', expr);
    if (step <= 0) throw new Error(`step of range should be a positive number: ${expr}`);
    if (hyphen.length === 1 && range !== '*' && range !== '?') end = bounds.max;
  } else if (slash.length > 2) {
    throw new Error(`too many slashes: ${expr}`);
  }
  if (start < bounds.min) throw new Error(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > bounds.max) throw new Error(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
}

/** undefined when the schedule parses, else robfig/cron's error text. */
export function cronError(schedule: string): string | undefined {
  try {
    const trimmed = schedule.trim();
    if (trimmed.startsWith('@')) {
      if (DESCRIPTORS.includes(trimmed)) return undefined;
      if (trimmed.startsWith('@every ')) return undefined;
      throw new Error(`unrecognized descriptor: ${trimmed}`);
    }
    const fields = trimmed.split(/\s+/).filter((f) => f !== '');
    if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
    fields.forEach((field, i) => {
      for (const expr of field.split(',')) parseRange(expr, FIELDS[i] ?? { min: 0, max: 0 });
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
