import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixedNano, parseLogLine, streamLog, tail, type LogOptions } from '../../../../src/agent/kubelet-api/logs.js';
import { tempDir } from '../../../helpers/index.js';

const LOG = [
  '2026-01-01T00:00:01.5Z stdout F one',
  '2026-01-01T00:00:02.123456789Z stderr F two',
  '2026-01-01T00:00:03Z stdout P thr',
  '2026-01-01T00:00:03.1Z stdout F ee',
  '2026-01-01T00:00:04Z stdout F ',
  '2026-01-01T00:00:05Z stdout F five',
  '',
].join('\n');

async function read(t: { after(fn: () => unknown): void }, options: Partial<LogOptions>): Promise<string> {
  const file = join(tempDir(t, 'k3s-logs-'), '0.log');
  writeFileSync(file, LOG);
  let out = '';
  await streamLog(file, { follow: false, timestamps: false, ...options }, (text) => ((out += text), true), async () => false, new AbortController().signal);
  return out;
}

test('CRI log lines parse into stream, completeness and text', () => {
  assert.deepEqual(parseLogLine('2026-01-01T00:00:03Z stdout P thr'), { time: '2026-01-01T00:00:03Z', ms: Date.parse('2026-01-01T00:00:03Z'), stream: 'stdout', full: false, text: 'thr' });
  assert.equal(parseLogLine('2026-01-01T00:00:04Z stdout F ')?.text, '');
  assert.equal(parseLogLine('not a log line'), undefined);
});

test('timestamps are printed with nine fraction digits', () => {
  assert.equal(fixedNano('2026-01-01T00:00:01.5Z'), '2026-01-01T00:00:01.500000000Z');
  assert.equal(fixedNano('2026-01-01T00:00:03Z'), '2026-01-01T00:00:03.000000000Z');
});

test('partial entries join the next full one; tail counts whole lines', async (t) => {
  assert.equal(await read(t, {}), 'one\ntwo\nthree\n\nfive\n');
  assert.equal(await read(t, { tailLines: 3 }), 'three\n\nfive\n');
  assert.equal(await read(t, { tailLines: 0 }), '');
  assert.equal(tail([], 2).length, 0);
});

test('since, limitBytes and timestamps', async (t) => {
  assert.equal(await read(t, { since: new Date('2026-01-01T00:00:03.05Z') }), 'ee\n\nfive\n');
  assert.equal(await read(t, { limitBytes: 6 }), 'one\ntw');
  assert.equal(await read(t, { timestamps: true, tailLines: 1 }), '2026-01-01T00:00:05.000000000Z five\n');
});

test('follow reads lines appended until the container stops', async (t) => {
  const file = join(tempDir(t, 'k3s-logs-'), '0.log');
  writeFileSync(file, '2026-01-01T00:00:01Z stdout F first\n');
  let running = true;
  let out = '';
  const done = streamLog(file, { follow: true, timestamps: false }, (text) => ((out += text), true), async () => running, new AbortController().signal);
  await new Promise((r) => setTimeout(r, 300));
  writeFileSync(file, '2026-01-01T00:00:01Z stdout F first\n2026-01-01T00:00:02Z stdout F second\n');
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await done;
  assert.equal(out, 'first\nsecond\n');
});
