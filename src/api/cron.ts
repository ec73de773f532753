/**
 * Cron schedules as upstream reads them (validation of CronJob.spec.schedule and the cron job
 * controller's next-run times share this one parser): five fields (minute hour day-of-month
 * month day-of-week) with *, ?, ranges, steps, lists and month/day names, or a descriptor
 * (@yearly, @monthly, @weekly, @daily, @hourly, @every <duration>), evaluated in an IANA time
 * zone. As in cron (and robfig/cron, which upstream uses), when both day fields are restricted a
 * day matches if either does. Next-run search walks wall-clock fields in the zone, skipping whole
 * months, days and hours that cannot match, so a yearly schedule costs a few dozen steps.
 * Error texts are robfig/cron's, which upstream's validation puts after "Invalid value".
 */

export interface CronSchedule {
  /** The next run strictly after `after`, or undefined if none within 5 years. */
  next(after: Date): Date | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}
const MONTHS = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export class CronParseError extends Error {
  override readonly name = 'CronParseError';
}

function number(text: string, bounds: Bounds, expr: string): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[+-]?\d+$/.test(text)) throw new CronParseError(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

/** One field into the set of values it allows; `star` when it was * or ? (unrestricted). */
function parseField(field: string, bounds: Bounds): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const expr of field.split(',')) {
    const [range = '', stepText, extra] = expr.split('/');
    if (extra !== undefined) throw new CronParseError(`too many slashes: ${expr}`);
    let start: number;
    let end: number;
    if (range === '*' || range === '?') {
      start = bounds.min;
      end = bounds.max;
      if (stepText === undefined) star = true;
    } else {
      const parts = range.split('-');
      if (parts.length > 2) throw new CronParseError(`too many hyphens: ${expr}`);
      start = number(parts[0] ?? '', bounds, expr);
      end = parts.length === 2 ? number(parts[1] ?? '', bounds, expr) : stepText !== undefined ? bounds.max : start;
    }
    const step = stepText === undefined ? 1 : number(stepText, { min: 0, max: Infinity }, expr);
    if (step <= 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
    if (start < bounds.min) throw new CronParseError(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
    if (end > bounds.max) throw new CronParseError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
    if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values, star };
}

/** A Go duration such as "1h30m" or "90s" in milliseconds (for @every). */
function parseDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!m) throw new CronParseError(`failed to parse duration ${text}`);
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
    rest = rest.slice(m[0].length);
  }
  if (total < 1000) throw new CronParseError(`@every duration must be at least 1s: ${text}`);
  return total;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** Throws a CronParseError unless `zone` is a time zone this runtime knows. */
export function checkTimeZone(zone: string): void {
  try {
    formatter(zone);
  } catch {
    throw new CronParseError(`unknown time zone ${zone}`);
  }
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

function wallOf(ms: number, zone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year ?? 1970, mo: parts.month ?? 1, d: parts.day ?? 1, h: parts.hour ?? 0, mi: parts.minute ?? 0 };
}

function wallMs(w: Wall): number {
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);
}

/** Carries overflowing fields (minute 60, day 32, ...) into the next ones. */
function normalize(w: Wall): Wall {
  const t = new Date(wallMs(w));
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes() };
}

/** The instant showing wall time `w` in `zone` (the earlier one when the clock falls back); undefined in a spring-forward gap. */
function instantOf(w: Wall, zone: string): number | undefined {
  const target = wallMs(w);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const offset = wallMs(wallOf(guess, zone)) - guess;
    guess = target - offset;
  }
  // Prefer the earlier instant when this wall time occurs twice.
  for (const candidate of [guess - 3_600_000, guess]) if (wallMs(wallOf(candidate, zone)) === target) return candidate;
  return undefined;
}

/** Parses `schedule` in `zone` (the cronjob controller passes spec.timeZone, else its own local zone). A CRON_TZ=/TZ= prefix overrides it. */
export function parseCron(schedule: string, zone = 'UTC'): CronSchedule {
  let text = schedule.trim();
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    zone = tz[1] ?? zone;
    text = (tz[2] ?? '').trim();
  }
  checkTimeZone(zone);
  if (text.startsWith('@every ')) {
    const every = parseDuration(text.slice(7).trim());
    return { next: (after) => new Date(Math.floor((after.getTime() + every) / 1000) * 1000) };
  }
  if (text.startsWith('@')) {
    const expanded = DESCRIPTORS[text];
    if (!expanded) throw new CronParseError(`unrecognized descriptor: ${text}`);
    text = expanded;
  }
  const fields = text.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => parseField(f, FIELDS[i] as Bounds)) as [ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>];
  const dayMatches = (w: Wall): boolean => {
    const weekday = new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay();
    const inDom = dom.values.has(w.d);
    const inDow = dow.values.has(weekday);
    if (dom.star || dow.star) return inDom && inDow;
    return inDom || inDow;
  };
  return {
    next(after: Date): Date | undefined {
      const afterMs = after.getTime();
      // Start at the first whole minute strictly after `after`, in the zone's wall clock.
      let w = wallOf(Math.floor(afterMs / 60_000) * 60_000 + 60_000, zone);
      const limit = w.y + 5;
      while (w.y <= limit) {
        if (!month.values.has(w.mo)) {
          w = normalize({ y: w.y, mo: w.mo + 1, d: 1, h: 0, mi: 0 });
        } else if (!dayMatches(w)) {
          w = normalize({ ...w, d: w.d + 1, h: 0, mi: 0 });
        } else if (!hour.values.has(w.h)) {
          w = normalize({ ...w, h: w.h + 1, mi: 0 });
        } else if (!minute.values.has(w.mi)) {
          w = normalize({ ...w, mi: w.mi + 1 });
        } else {
          const at = instantOf(w, zone);
          if (at !== undefined && at > afterMs) return new Date(at);
          w = normalize({ ...w, mi: w.mi + 1 });
        }
      }
      return undefined;
    },
  };
}

/**
 * The latest scheduled time in (earliest, now], and how many were missed in that window up to
 * `cap` + 1 (upstream's mostRecentScheduleTime: the caller warns past the cap). Past the cap the
 * latest time is looked for in growing windows before now, so a minutely schedule whose last
 * run was a year ago costs a few dozen steps, not half a million.
 */
export function mostRecent(schedule: CronSchedule, earliest: Date, now: Date, cap = 100): { time?: Date; missed: number } {
  const nowMs = now.getTime();
  const latestFrom = (from: Date, max: number): { time?: Date; count: number } => {
    let time: Date | undefined;
    let count = 0;
    for (let t = schedule.next(from); t && t.getTime() <= nowMs && count <= max; t = schedule.next(t)) {
      time = t;
      count++;
    }
    return time ? { time, count } : { count };
  };
  const first = latestFrom(earliest, cap);
  if (first.count <= cap) return first.time ? { time: first.time, missed: first.count } : { missed: 0 };
  for (const windowMs of [3_600_000, 86_400_000, 32 * 86_400_000, 367 * 86_400_000, 5 * 367 * 86_400_000]) {
    const from = new Date(Math.max(earliest.getTime(), nowMs - windowMs));
    const found = latestFrom(from, Infinity);
    if (found.time) return { time: found.time, missed: first.count };
  }
  return { missed: first.count };
}
