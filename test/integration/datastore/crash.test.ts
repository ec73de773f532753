/**
 * Crash safety of the SQLite datastore: a child process writing in a loop is SIGKILLed at random
 * moments, CRASH_KILLS times (default 50, about 45 s here; the issue asks for >= 200: CRASH_KILLS=200). After every kill the database must open cleanly,
 * hold every write the child acknowledged (printed after commit), and its revision log must be
 * consistent: ids contiguous, each key's rows chained by prev_revision, create_revision and
 * version carried along, tombstones only after live rows.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BUILD_ROOT, tempDir } from '../../helpers/index.js';

const KILLS = Number(process.env.CRASH_KILLS ?? 50);
const WRITER = join(BUILD_ROOT, 'test/integration/datastore/crash-writer.js');

interface Ack {
  op: string;
  keys: string[];
  rev: number;
  value: string;
}

/** Runs the writer until `afterMs` after it is ready, SIGKILLs it, returns its acknowledged writes. */
function runAndKill(dataDir: string, runId: number, afterMs: number): Promise<{ acks: Ack[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dataDir, String(runId)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (timer === undefined && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own (code ${code}, signal ${signal}):\n${err}\n${out.slice(-2000)}`));
      // The last line may be cut mid-write by the kill: only complete lines count.
      const lines = out.split('\n').slice(0, -1);
      const acks = lines
        .filter((l) => l.startsWith('ack '))
        .map((l) => {
          const [, op, keys, rev, value] = l.split(' ');
          return { op: op!, keys: keys!.split(','), rev: Number(rev), value: value! };
        });
      resolve({ acks, output: err });
    });
  });
}

interface LogRow {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  version: number;
  value: Buffer;
}

function checkLog(file: string, acked: Map<number, Ack>): { rows: number } {
  const db = new Database(file, { fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, name, created, deleted, create_revision, prev_revision, version, value FROM kv_log ORDER BY id').all() as LogRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Ids contiguous from 1: a rolled-back transaction leaves no gap and nothing is lost.
    rows.forEach((r, i) => assert.equal(r.id, i + 1, `row ${i} has id ${r.id}`));
    const last = new Map<string, LogRow>();
    for (const r of rows) {
      const prev = last.get(r.name);
      if (!prev) {
        assert.equal(r.prev_revision, 0, `first row ${r.id} of ${r.name} links to ${r.prev_revision}`);
        assert.equal(r.created, 1, `first row ${r.id} of ${r.name} is not a create`);
      } else {
        assert.equal(r.prev_revision, prev.id, `row ${r.id} of ${r.name} links to ${r.prev_revision}, previous row is ${prev.id}`);
        if (prev.deleted === 1) {
          assert.equal(r.created, 1, `row ${r.id} follows a tombstone but is not a create`);
          assert.equal(r.version, 1);
        } else {
          assert.equal(r.created, 0, `row ${r.id} of live ${r.name} claims to create it`);
          assert.equal(r.version, prev.version + 1, `row ${r.id} version`);
          assert.equal(r.create_revision, prev.created === 1 ? prev.id : prev.create_revision, `row ${r.id} create_revision`);
        }
      }
      last.set(r.name, r);
    }
    // Every acknowledged write is there, with the value it acknowledged.
    for (const a of acked.values()) {
      if (a.op === 'txn') {
        // A txn's puts take consecutive revisions ending at the acknowledged one.
        a.keys.forEach((k, i) => {
          const row = byId.get(a.rev - (a.keys.length - 1 - i));
          assert.ok(row, `acknowledged txn write ${k}@${a.rev} lost`);
          assert.equal(row.name, k);
          assert.equal(row.value.toString(), a.value);
        });
        continue;
      }
      const row = byId.get(a.rev);
      assert.ok(row, `acknowledged ${a.op} of ${a.keys[0]} at revision ${a.rev} lost`);
      assert.equal(row.name, a.keys[0]);
      if (a.op === 'delete') assert.equal(row.deleted, 1);
      else assert.equal(row.value.toString(), a.value, `value of ${a.keys[0]}@${a.rev}`);
    }
    return { rows: rows.length };
  } finally {
    db.close();
  }
}

it(`loses no acknowledged write across ${KILLS} SIGKILLs of a writing process`, { timeout: 30 * 60_000 }, async (t) => {
  const dataDir = tempDir(t, 'k3s-crash-');
  const file = join(dataDir, 'server/db/state.db');
  const acked = new Map<number, Ack>();
  let kills = 0;
  let writes = 0;
  let minAcks = Infinity;
  const started = Date.now();
  for (let run = 1; run <= KILLS; run++) {
    const { acks } = await runAndKill(dataDir, run, 5 + Math.random() * 60);
    kills++;
    for (const a of acks) {
      assert.ok(!acked.has(a.rev), `revision ${a.rev} acknowledged twice`);
      acked.set(a.rev, a);
    }
    writes += acks.length;
    minAcks = Math.min(minAcks, acks.length);
    checkLog(file, acked);
  }
  const { rows } = checkLog(file, acked);
  t.diagnostic(`${kills} kills in ${((Date.now() - started) / 1000).toFixed(1)} s; ${writes} acknowledged writes (fewest in one run: ${minAcks}), all present; ${rows} log rows consistent`);
  assert.ok(writes > kills, 'the writer must have written between kills');
});
