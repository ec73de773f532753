/**
 * Child process for crash.test.ts: opens the SQLite datastore and writes forever from several
 * concurrent loops, printing one line per acknowledged write AFTER the write's promise
 * resolved:  ack <op> <key> <revision> <value>
 * and, before each write, the intent:  try <op> <key>
 * (a conditional write that did not apply prints  skip <op> <key>).
 * The parent SIGKILLs it at random moments and checks every acknowledged write survived. A
 * write whose intent has no ack was in flight at the kill: it may or may not have committed.
 *
 *   node crash-writer.js <dataDir> <runId> [compact]
 * With "compact", compaction runs every 20 ms in batches of 10 revisions keeping 50, so kills
 * also land in the middle of compaction.
 */
import { pino } from 'pino';
import { parseEndpoint } from '../../../src/datastore/endpoint.js';
import { openBackend } from '../../../src/datastore/registry.js';
import { prefixRange } from '../../../src/datastore/types.js';

const [dataDir, runId, mode] = process.argv.slice(2);
if (!dataDir || !runId) throw new Error('usage: crash-writer <dataDir> <runId>');
const LOOPS = 4;
const KEYS_PER_LOOP = 8;

const compaction = mode === 'compact' ? { compactIntervalMs: 20, compactRetain: 50, compactBatch: 10 } : { compactIntervalMs: 0 };
const store = await openBackend(parseEndpoint(undefined), { dataDir, ...compaction, leaseCheckIntervalMs: 0, logger: pino({ level: 'silent' }) });
// stdout to a pipe is synchronous on Linux: a printed line has left this process.
const ack = (op: string, key: string, rev: number, value: string): void => void process.stdout.write(`ack ${op} ${key} ${rev} ${value}\n`);
const intent = (op: string, key: string): void => void process.stdout.write(`try ${op} ${key}\n`);
const skip = (op: string, key: string): void => void process.stdout.write(`skip ${op} ${key}\n`);
process.stdout.write('ready\n');

let seq = 0;
async function loop(n: number): Promise<never> {
  const prefix = `/crash/${n}/`;
  for (;;) {
    const key = `${prefix}${Math.floor(Math.random() * KEYS_PER_LOOP)}`;
    const value = `${runId}.${n}.${seq++}`;
    const { kv } = await store.get(key);
    const dice = Math.random();
    if (!kv) {
      intent('create', key);
      const { revision } = await store.create(key, Buffer.from(value));
      ack('create', key, revision, value);
    } else if (dice < 0.15) {
      intent('delete', key);
      const res = await store.delete(key, kv.modRevision);
      if (res.succeeded) ack('delete', key, res.revision, '-');
      else skip('delete', key);
    } else if (dice < 0.25) {
      // A multi-key transaction: both writes or neither.
      const other = `${prefix}txn`;
      intent('txn', `${key},${other}`);
      const res = await store.txn([], [
        { type: 'put', key, value: Buffer.from(value) },
        { type: 'put', key: other, value: Buffer.from(value) },
      ], []);
      ack('txn', `${key},${other}`, res.revision, value);
    } else {
      intent('update', key);
      const res = await store.update(key, Buffer.from(value), kv.modRevision);
      if (res.succeeded) ack('update', key, res.revision, value);
      else skip('update', key);
    }
    if (seq % 64 === 0) {
      // Long reads interleaved with writes, as the API server does.
      await store.range(prefixRange('/crash/'));
    }
    // Let timers (compaction) run between writes, as they would between network requests.
    if (seq % 8 === 0) await new Promise((r) => setImmediate(r));
  }
}

await Promise.all(Array.from({ length: LOOPS }, (_, i) => loop(i)));
