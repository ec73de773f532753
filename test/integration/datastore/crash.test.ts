/**
 * Crash safety of the SQLite datastore: a child process writing in a loop is SIGKILLed at random
 * moments, CRASH_KILLS times (default 200, as the issue asks; CRASH_KILLS=20 for a quick run). After every kill the database must open cleanly,
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

const KILLS = Number(process.env.CRASH_KILLS ?? 200);
const COMPACT_KILLS = Number(process.env.CRASH_COMPACT_KILLS ?? 30);
const WRITER = join(BUILD_ROOT, 'test/integration/datastore/crash-writer.js');

interface Ack {
  op: string;
  keys: string[];
  rev: number;
  value: string;
}

/** A write the writer had started (its intent printed) but not acknowledged when it was killed. */
interface InFlight {
  op: string;
  keys: string[];
}

/** Each write loop of the writer owns the keys under /crash/<loop>/. */
const loopOf = (key: string): string => key.split('/')[2]!;

/**
 * Runs the writer until `afterMs` after it is ready, SIGKILLs it, returns its acknowledged writes
 * and the writes that were in flight at the kill (at most one per loop: each loop is sequential).
 */
function runAndKill(dataDir: string, runId: number, afterMs: number, mode = ''): Promise<{ acks: Ack[]; inFlight: InFlight[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dataDir, String(runId), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
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
      const acks: Ack[] = [];
      const pending = new Map<string, InFlight>();
      for (const line of lines) {
        const [kind, op, keyList, rev, value] = line.split(' ');
        if (kind !== 'ack' && kind !== 'try' && kind !== 'skip') continue;
        const keys = keyList!.split(',');
        const loop = loopOf(keys[0]!);
        if (kind === 'try') pending.set(loop, { op: op!, keys });
        else pending.delete(loop);
        if (kind === 'ack') acks.push({ op: op!, keys, rev: Number(rev), value: value! });
      }
      resolve({ acks, inFlight: [...pending.values()], output: err });
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

/** The last write of each key in `writes` (a txn's puts take consecutive revisions ending at its own). */
function lastWrites(writes: Map<number, Ack>): Map<string, { rev: number; deleted: boolean; value: string }> {
  const model = new Map<string, { rev: number; deleted: boolean; value: string }>();
  for (const a of [...writes.values()].sort((x, y) => x.rev - y.rev)) {
    a.keys.forEach((k, i) => model.set(k, { rev: a.rev - (a.keys.length - 1 - i), deleted: a.op === 'delete', value: a.value }));
  }
  return model;
}

/**
 * A write in flight at a kill may have committed without its ack being printed. Read right after
 * the kill (the writer is dead, so nothing has compacted since), its key's newest row says which:
 * newer than the key's last known write means it committed. Committed ones join `known`, so the
 * model stays exact: a committed but unacknowledged delete whose tombstone a later run compacts
 * away leaves no row, and the model knows the key was deleted.
 */
function settleInFlight(file: string, inFlight: InFlight[], known: Map<number, Ack>): number {
  if (inFlight.length === 0) return 0;
  const model = lastWrites(known);
  const db = new Database(file, { fileMustExist: true, readonly: true });
  let committed = 0;
  try {
    const newestOf = db.prepare('SELECT id, deleted, value FROM kv_log WHERE name = ? ORDER BY id DESC LIMIT 1');
    for (const w of inFlight) {
      for (const key of w.keys) {
        const row = newestOf.get(key) as { id: number; deleted: number; value: Buffer } | undefined;
        if (!row || row.id <= (model.get(key)?.rev ?? 0)) continue;
        known.set(row.id, { op: row.deleted === 1 ? 'delete' : w.op, keys: [key], rev: row.id, value: row.deleted === 1 ? '-' : row.value.toString() });
        committed++;
      }
    }
  } finally {
    db.close();
  }
  return committed;
}

/**
 * With compaction running: history below the compact revision may be gone, so the check is on
 * what must survive: the newest row of every key is its last known write (acknowledged, or found
 * committed right after the kill it was in flight at, or a later in-flight one), ids from the compact revision on are contiguous, and
 * every surviving row links to a surviving predecessor at or above the compact revision.
 */
function checkCompactedLog(file: string, acked: Map<number, Ack>): { rows: number; floor: number } {
  const db = new Database(file, { fileMustExist: true });
  try {
    const floor = Number((db.prepare("SELECT value FROM kv_meta WHERE name = 'compact_rev'").get() as { value: number } | undefined)?.value ?? 0);
    const rows = db.prepare('SELECT id, name, created, deleted, create_revision, prev_revision, version, value FROM kv_log ORDER BY id').all() as LogRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const max = rows[rows.length - 1]?.id ?? 0;
    for (let id = Math.max(floor, 1); id <= max; id++) assert.ok(byId.has(id), `row ${id} missing above the compact revision ${floor}`);
    for (const r of rows) {
      if (r.prev_revision >= floor && r.prev_revision > 0) {
        const prev = byId.get(r.prev_revision);
        assert.ok(prev, `row ${r.id} links to missing row ${r.prev_revision} (floor ${floor})`);
        assert.equal(prev.name, r.name);
        if (prev.deleted === 0) assert.equal(r.version, prev.version + 1, `row ${r.id} version`);
      }
    }
    const newest = new Map<string, LogRow>();
    for (const r of rows) newest.set(r.name, r);
    // The last acknowledged write of each key, from the model.
    const model = lastWrites(acked);
    for (const [key, want] of model) {
      const got = newest.get(key);
      if (!got) {
        // No row at all is right only for a deleted key whose tombstone compaction removed.
        assert.ok(want.deleted, `${key}: last acknowledged write at ${want.rev} lost, no row left`);
        continue;
      }
      assert.ok(got.id >= want.rev, `${key}: newest row ${got.id} is older than the acknowledged write at ${want.rev}`);
      if (got.id === want.rev) {
        assert.equal(got.deleted === 1, want.deleted, `${key}@${want.rev} deleted flag`);
        if (!want.deleted) assert.equal(got.value.toString(), want.value, `${key}@${want.rev} value`);
      }
    }
    for (const a of acked.values()) {
      if (a.rev < floor || a.op === 'txn') continue;
      const row = byId.get(a.rev);
      assert.ok(row, `acknowledged ${a.op} of ${a.keys[0]} at ${a.rev} (above the compact revision ${floor}) lost`);
      assert.equal(row.name, a.keys[0]);
    }
    return { rows: rows.length, floor };
  } finally {
    db.close();
  }
}

it(`loses no acknowledged write across ${COMPACT_KILLS} SIGKILLs while compaction runs`, { timeout: 30 * 60_000 }, async (t) => {
  const dataDir = tempDir(t, 'k3s-crash-compact-');
  const file = join(dataDir, 'server/db/state.db');
  // Acknowledged writes, plus in-flight ones found committed after their kill.
  const known = new Map<number, Ack>();
  let writes = 0;
  let floor = 0;
  let floorMoves = 0;
  let committedUnacked = 0;
  const started = Date.now();
  for (let run = 1; run <= COMPACT_KILLS; run++) {
    // Longer runs than above so the log outgrows the retained window and compaction has work.
    const { acks, inFlight } = await runAndKill(dataDir, run, 40 + Math.random() * 200, 'compact');
    for (const a of acks) known.set(a.rev, a);
    committedUnacked += settleInFlight(file, inFlight, known);
    writes += acks.length;
    const res = checkCompactedLog(file, known);
    if (res.floor > floor) floorMoves++;
    assert.ok(res.floor >= floor, `compact revision went back from ${floor} to ${res.floor}`);
    floor = res.floor;
  }
  t.diagnostic(`${COMPACT_KILLS} kills in ${((Date.now() - started) / 1000).toFixed(1)} s; ${writes} acknowledged writes; compact revision advanced in ${floorMoves} runs to ${floor}; newest rows and the log above it consistent; ${committedUnacked} writes in flight at a kill had committed without an ack`);
  assert.ok(floorMoves > COMPACT_KILLS / 3, 'compaction must have been running when the kills landed');
});
