import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanDuration, humanSize, imagesTable, parseCriLog, psTable, table, tailEntries } from '../../../src/cli/crictl.js';

test('crictl durations and sizes read as crictl prints them (docker/go-units)', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(42_000), '42 seconds');
  assert.equal(humanDuration(90_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(70 * 60_000), 'About an hour');
  assert.equal(humanDuration(30 * 3_600_000), '30 hours');
  assert.equal(humanDuration(3 * 24 * 3_600_000), '3 days');
  assert.equal(humanDuration(20 * 24 * 3_600_000), '2 weeks');
  assert.equal(humanDuration(100 * 24 * 3_600_000), '3 months');
  assert.equal(humanDuration(800 * 24 * 3_600_000), '2 years');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(716_800), '717kB');
  assert.equal(humanSize(1_234_567), '1.23MB');
  assert.equal(humanSize(1_500_000_000), '1.5GB');
});

test('crictl tables: columns at least 20 wide with 3 spaces of padding, the last one bare', () => {
  assert.equal(table([['A', 'B', 'C'], ['a-very-long-value-here', 'b', 'c']]), `${'A'.padEnd(25)}${'B'.padEnd(20)}C\n${'a-very-long-value-here'.padEnd(25)}${'b'.padEnd(20)}c\n`);
  const now = Date.UTC(2026, 0, 1);
  const c = { id: 'f'.repeat(64), podSandboxId: 'a'.repeat(64), metadata: { name: 'main', attempt: 2 }, image: { image: `sha256:${'b'.repeat(64)}` }, imageRef: '', state: 'CONTAINER_EXITED' as const, createdAt: (now - 120_000) * 1e6, labels: { 'io.kubernetes.pod.name': 'web' }, annotations: {} };
  const lines = psTable([c], now, false).split('\n');
  assert.equal(lines[1], `${'f'.repeat(13).padEnd(20)}${'b'.repeat(13).padEnd(20)}${'2 minutes ago'.padEnd(20)}${'Exited'.padEnd(20)}${'main'.padEnd(20)}${'2'.padEnd(20)}${'a'.repeat(13).padEnd(20)}web`);
  assert.equal(psTable([c], now, true), `${'f'.repeat(64)}\n`);
  const images = imagesTable([{ id: `sha256:${'c'.repeat(64)}`, repoTags: ['docker.io/library/busybox:1.35.0', 'localhost:5000/x:1'], repoDigests: [], size: 1_234_567 }], false).split('\n');
  assert.match(images[1]!, /^docker\.io\/library\/busybox {3}1\.35\.0 {14}c{13} {7}1\.23MB$/);
  assert.match(images[2]!, /^localhost:5000\/x {12}1 {19}c{13} {7}1\.23MB$/);
});

test('crictl logs: CRI log lines back to the container output, partial lines joined, --tail by lines', () => {
  const entries = parseCriLog('2026-01-01T00:00:00.1Z stdout F one\n2026-01-01T00:00:00.2Z stderr F oops\n2026-01-01T00:00:00.3Z stdout P tw\n2026-01-01T00:00:00.4Z stdout F o\nnot a log line\n');
  assert.deepEqual(entries.map((e) => [e.stream, e.text]), [['stdout', 'one\n'], ['stderr', 'oops\n'], ['stdout', 'tw'], ['stdout', 'o\n']]);
  assert.deepEqual(tailEntries(entries, 1).map((e) => e.text), ['tw', 'o\n']);
  assert.deepEqual(tailEntries(entries, 2).map((e) => e.text), ['oops\n', 'tw', 'o\n']);
  assert.equal(tailEntries(entries, 0).length, 0);
  assert.equal(tailEntries(entries, -1).length, 4);
});
