import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CronParseError, mostRecent, parseCron } from '../../../src/api/cron.js';

const at = (iso: string): Date => new Date(iso);
function runs(schedule: string, from: string, n: number, zone?: string): string[] {
  const s = parseCron(schedule, zone);
  const out: string[] = [];
  let t: Date | undefined = at(from);
  for (let i = 0; i < n && t; i++) {
    t = s.next(t);
    if (t) out.push(t.toISOString());
  }
  return out;
}

describe('cron schedules', () => {
  test('every minute runs on each whole minute strictly after the given time', () => {
    assert.deepEqual(runs('* * * * *', '2024-03-01T10:00:30Z', 2), ['2024-03-01T10:01:00.000Z', '2024-03-01T10:02:00.000Z']);
    assert.deepEqual(runs('* * * * *', '2024-03-01T10:00:00Z', 1), ['2024-03-01T10:01:00.000Z']);
  });
  test('steps, ranges and lists combine', () => {
    assert.deepEqual(runs('*/15 9-10 * * *', '2024-03-01T10:40:00Z', 3), ['2024-03-01T10:45:00.000Z', '2024-03-02T09:00:00.000Z', '2024-03-02T09:15:00.000Z']);
    assert.deepEqual(runs('5,10 0 * * *', '2024-03-01T00:07:00Z', 2), ['2024-03-01T00:10:00.000Z', '2024-03-02T00:05:00.000Z']);
    assert.deepEqual(runs('10/20 * * * *', '2024-03-01T00:00:00Z', 3), ['2024-03-01T00:10:00.000Z', '2024-03-01T00:30:00.000Z', '2024-03-01T00:50:00.000Z']);
  });
  test('month and weekday names are accepted in any case', () => {
    // 2024-03-01 is a Friday.
    assert.deepEqual(runs('0 12 * * MON-wed', '2024-03-01T00:00:00Z', 2), ['2024-03-04T12:00:00.000Z', '2024-03-05T12:00:00.000Z']);
    assert.deepEqual(runs('0 0 1 feb *', '2024-03-01T00:00:00Z', 1), ['2025-02-01T00:00:00.000Z']);
  });
  test('when both day fields are restricted, either matching is enough (as cron)', () => {
    // The 15th, or any Sunday.
    assert.deepEqual(runs('0 0 15 * sun', '2024-03-01T00:00:00Z', 3), ['2024-03-03T00:00:00.000Z', '2024-03-10T00:00:00.000Z', '2024-03-15T00:00:00.000Z']);
  });
  test('descriptors and @every', () => {
    assert.deepEqual(runs('@hourly', '2024-03-01T10:20:00Z', 1), ['2024-03-01T11:00:00.000Z']);
    assert.deepEqual(runs('@monthly', '2024-01-31T10:20:00Z', 2), ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
    assert.deepEqual(runs('@yearly', '2024-03-01T00:00:00Z', 1), ['2025-01-01T00:00:00.000Z']);
    assert.deepEqual(runs('@every 1h30m', '2024-03-01T10:00:00Z', 1), ['2024-03-01T11:30:00.000Z']);
  });
  test('the 31st only runs in months that have one; Feb 29 waits for a leap year', () => {
    assert.deepEqual(runs('0 0 31 * *', '2024-03-31T00:00:00Z', 2), ['2024-05-31T00:00:00.000Z', '2024-07-31T00:00:00.000Z']);
    assert.deepEqual(runs('0 0 29 2 *', '2024-03-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
  });
  test('a time zone shifts the schedule, including half-hour offsets and DST changes', () => {
    assert.deepEqual(runs('0 9 * * *', '2024-03-01T00:00:00Z', 1, 'Asia/Kolkata'), ['2024-03-01T03:30:00.000Z']);
    // New York springs forward on 2024-03-10: 09:00 local is 14:00Z before, 13:00Z after.
    assert.deepEqual(runs('0 9 * * *', '2024-03-09T00:00:00Z', 2, 'America/New_York'), ['2024-03-09T14:00:00.000Z', '2024-03-10T13:00:00.000Z']);
    // 02:30 does not exist that day in New York: that run is skipped.
    assert.deepEqual(runs('30 2 * * *', '2024-03-09T12:00:00Z', 2, 'America/New_York'), ['2024-03-11T06:30:00.000Z', '2024-03-12T06:30:00.000Z']);
    assert.deepEqual(runs('CRON_TZ=Europe/Berlin 0 8 * * *', '2024-07-01T00:00:00Z', 1), ['2024-07-01T06:00:00.000Z']);
  });
  test('bad schedules and zones fail with cron-style messages', () => {
    assert.throws(() => parseCron('* * * *'), (err: unknown) => err instanceof CronParseError && /expected exactly 5 fields, found 4/.test(err.message));
    assert.throws(() => parseCron('61 * * * *'), /end of range \(61\) above maximum \(59\)/);
    assert.throws(() => parseCron('5-1 * * * *'), /beginning of range \(5\) beyond end of range \(1\)/);
    assert.throws(() => parseCron('@fortnightly'), /unrecognized descriptor/);
    assert.throws(() => parseCron('* * * * *', 'Mars/Olympus'), /unknown time zone Mars\/Olympus/);
  });
  test('the most recent missed time, with a count capped for long outages', () => {
    const s = parseCron('*/10 * * * *');
    assert.deepEqual(mostRecent(s, at('2024-03-01T10:00:00Z'), at('2024-03-01T10:35:00Z')), { time: at('2024-03-01T10:30:00Z'), missed: 3 });
    assert.deepEqual(mostRecent(s, at('2024-03-01T10:00:00Z'), at('2024-03-01T10:05:00Z')), { missed: 0 });
    const started = Date.now();
    const long = mostRecent(parseCron('* * * * *'), at('2023-03-01T00:00:00Z'), at('2024-03-01T10:35:30Z'));
    assert.deepEqual(long, { time: at('2024-03-01T10:35:00Z'), missed: 101 });
    assert.ok(Date.now() - started < 500, 'a year of missed minutes is not walked one by one');
  });
});
