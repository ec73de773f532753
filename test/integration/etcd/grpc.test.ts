/**
 * gRPC-level behaviour of the etcd face that etcdctl cannot express: nested transactions,
 * ignore_value/ignore_lease, sort orders and revision filters, the watch protocol (ids, filters,
 * cancel, progress, compaction), lease stream semantics, and etcd's exact errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { Backend } from '../../../src/datastore/index.js';
import { EtcdFace } from '../../../src/etcd/index.js';
import { waitFor } from '../../helpers/index.js';
import { startFace } from './fixture.js';
import { bytes, etcdClient, text, type EtcdClient, type Msg } from './grpc-client.js';

async function connect(t: TestContext, options: Parameters<typeof startFace>[1] = {}): Promise<{ c: EtcdClient; f: Awaited<ReturnType<typeof startFace>> }> {
  const f = await startFace(t, options);
  const c = etcdClient(f.unixEndpoint);
  t.after(() => c.close());
  return { c, f };
}

const put = (c: EtcdClient, key: string, value: string, extra: Msg = {}): Promise<Msg> => c.call('KV', 'Put', { key: bytes(key), value: bytes(value), ...extra });

async function rejects(p: Promise<unknown>, code: status, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: { code?: number; details?: string }) => {
    assert.equal(err.code, code, `code ${err.code} (${err.details})`);
    assert.match(err.details ?? '', message);
    return true;
  });
}

/** A watch stream that collects responses. */
function watchStream(c: EtcdClient, t: TestContext) {
  const stream = c.stream('Watch', 'Watch');
  const responses: Msg[] = [];
  stream.on('data', (r: Msg) => responses.push(r));
  stream.on('error', () => undefined);
  t.after(() => stream.cancel());
  return {
    responses,
    send: (req: Msg) => stream.write(req),
    until: (what: string, pred: (rs: Msg[]) => boolean) => waitFor(what, () => pred(responses), 10_000, 10),
    events: (id: number) => responses.filter((r) => r.watch_id === id).flatMap((r: Msg) => r.events as Msg[]),
  };
}

describe('etcd face over gRPC', { timeout: 180_000 }, () => {
  it('fills response headers with cluster, member, revision and raft term', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    const r = await put(c, 'a', '1');
    assert.equal(r.header.revision, 1);
    assert.ok(r.header.cluster_id > 0 && r.header.member_id > 0);
    assert.equal(r.header.raft_term, 1);
    const members = await c.call('Cluster', 'MemberList');
    assert.equal(members.members[0].ID, r.header.member_id);
  });

  it('sorts ranges by any target and applies revision filters after the fact, counting the whole range', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    await put(c, 'k1', 'c'); // rev 1
    await put(c, 'k2', 'a'); // rev 2
    await put(c, 'k3', 'b'); // rev 3
    await put(c, 'k1', 'd'); // rev 4: k1 mod 4, version 2
    const base = { key: bytes('k'), range_end: bytes('l') };
    const keys = (r: Msg) => (r.kvs as Msg[]).map((kv) => text(kv.key)).join(',');
    assert.equal(keys(await c.call('KV', 'Range', { ...base, sort_order: 2 })), 'k3,k2,k1');
    assert.equal(keys(await c.call('KV', 'Range', { ...base, sort_target: 4 })), 'k2,k3,k1', 'by value, ascending by default');
    assert.equal(keys(await c.call('KV', 'Range', { ...base, sort_target: 3, sort_order: 2 })), 'k1,k3,k2', 'by mod revision, descending');
    const limited = await c.call('KV', 'Range', { ...base, sort_target: 1, sort_order: 2, limit: 1 });
    assert.equal(keys(limited), 'k1');
    assert.equal(limited.more, true);
    assert.equal(limited.count, 3);
    const filtered = await c.call('KV', 'Range', { ...base, min_mod_revision: 2, max_mod_revision: 3 });
    assert.equal(keys(filtered), 'k2,k3');
    assert.equal(filtered.count, 3);
    const counted = await c.call('KV', 'Range', { ...base, count_only: true });
    assert.equal(counted.count, 3);
    assert.deepEqual(counted.kvs, []);
    const keysOnly = await c.call('KV', 'Range', { ...base, keys_only: true, sort_target: 4 });
    assert.equal(keys(keysOnly), 'k2,k3,k1');
    assert.equal(text(keysOnly.kvs[0].value), '');
    const all = await c.call('KV', 'Range', { key: Buffer.from([0]), range_end: Buffer.from([0]) });
    assert.equal(keys(all), 'k1,k2,k3');
  });

  it('runs nested transactions, deciding inner compares on the state before the outer one', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    await put(c, 'x', '1');
    const r = await c.call('KV', 'Txn', {
      compare: [{ key: bytes('x'), target: 3, result: 0, value: bytes('1') }],
      success: [
        { request_put: { key: bytes('x'), value: bytes('2') } },
        {
          request_txn: {
            // Sees x = "1" although the outer txn already wrote "2".
            compare: [{ key: bytes('x'), target: 3, result: 0, value: bytes('1') }],
            success: [{ request_put: { key: bytes('inner'), value: bytes('yes'), prev_kv: true } }, { request_range: { key: bytes('x') } }],
            failure: [{ request_put: { key: bytes('inner'), value: bytes('no') } }],
          },
        },
      ],
      failure: [],
    });
    assert.equal(r.succeeded, true);
    assert.equal(r.header.revision, 3);
    const nested = r.responses[1].response_txn;
    assert.equal(nested.succeeded, true);
    assert.equal(text(nested.responses[1].response_range.kvs[0].value), '2', 'reads inside see the writes before them');
    const inner = await c.call('KV', 'Range', { key: bytes('inner') });
    assert.equal(text(inner.kvs[0].value), 'yes');
    assert.equal(inner.kvs[0].mod_revision, 3, 'one revision for the whole transaction');
  });

  it('compares on lease, on missing keys, and with every operator in flat transactions', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    const lease = await c.call('Lease', 'LeaseGrant', { TTL: 60 });
    await put(c, 'l', 'v', { lease: lease.ID });
    const txn = async (compare: Msg): Promise<boolean> => (await c.call('KV', 'Txn', { compare: [compare] })).succeeded;
    assert.equal(await txn({ key: bytes('l'), target: 4, result: 0, lease: lease.ID }), true);
    assert.equal(await txn({ key: bytes('l'), target: 4, result: 3, lease: lease.ID }), false);
    assert.equal(await txn({ key: bytes('l'), target: 0, result: 1, version: 0 }), true, 'version > 0');
    assert.equal(await txn({ key: bytes('l'), target: 2, result: 2, mod_revision: 99 }), true, 'mod < 99');
    assert.equal(await txn({ key: bytes('l'), target: 3, result: 1, value: bytes('u') }), true, 'value > "u"');
    assert.equal(await txn({ key: bytes('none'), target: 0, result: 0, version: 0 }), true, 'a missing key has version 0');
    assert.equal(await txn({ key: bytes('none'), target: 1, result: 0, create_revision: 0 }), true, 'and create revision 0');
    assert.equal(await txn({ key: bytes('none'), target: 3, result: 3, value: bytes('x') }), false, 'and fails every value compare');
  });

  it('keeps the value or the lease with ignore_value / ignore_lease, and refuses them on a missing key', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    const lease = await c.call('Lease', 'LeaseGrant', { TTL: 60 });
    await put(c, 'k', 'kept', { lease: lease.ID });
    await put(c, 'k', '', { ignore_value: true, lease: 0, ignore_lease: true });
    let kv = (await c.call('KV', 'Range', { key: bytes('k') })).kvs[0];
    assert.equal(text(kv.value), 'kept');
    assert.equal(kv.lease, lease.ID);
    assert.equal(kv.version, 2);
    const prev = await put(c, 'k', 'new', { ignore_lease: true, prev_kv: true });
    assert.equal(text(prev.prev_kv.value), 'kept');
    kv = (await c.call('KV', 'Range', { key: bytes('k') })).kvs[0];
    assert.equal(text(kv.value), 'new');
    assert.equal(kv.lease, lease.ID);
    await rejects(put(c, 'absent', '', { ignore_value: true }), status.INVALID_ARGUMENT, /^etcdserver: key not found$/);
    await rejects(put(c, 'k', 'v', { ignore_value: true }), status.INVALID_ARGUMENT, /^etcdserver: value is provided$/);
    await rejects(put(c, 'k', 'v', { ignore_lease: true, lease: lease.ID }), status.INVALID_ARGUMENT, /^etcdserver: lease is provided$/);
  });

  it('answers with etcd’s own error codes and messages', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t, { maxTxnOps: 4 });
    await rejects(put(c, '', 'v'), status.INVALID_ARGUMENT, /^etcdserver: key is not provided$/);
    await rejects(c.call('KV', 'Range', { key: bytes('') }), status.INVALID_ARGUMENT, /^etcdserver: key is not provided$/);
    await rejects(put(c, 'k', 'v', { lease: 12345 }), status.NOT_FOUND, /^etcdserver: requested lease not found$/);
    await rejects(put(c, 'big', 'x'.repeat(1.6 * 1024 * 1024)), status.INVALID_ARGUMENT, /^etcdserver: request is too large$/);
    const dup = { request_put: { key: bytes('d'), value: bytes('1') } };
    await rejects(c.call('KV', 'Txn', { success: [dup, dup] }), status.INVALID_ARGUMENT, /^etcdserver: duplicate key given in txn request$/);
    await rejects(
      c.call('KV', 'Txn', { success: [dup, { request_delete_range: { key: bytes('a'), range_end: bytes('z') } }] }),
      status.INVALID_ARGUMENT,
      /duplicate key/,
    );
    await rejects(c.call('KV', 'Txn', { success: Array.from({ length: 5 }, (_, i) => ({ request_put: { key: bytes(`k${i}`), value: bytes('') } })) }), status.INVALID_ARGUMENT, /too many operations/);
    await rejects(c.call('KV', 'Txn', { compare: [{ key: bytes('a'), range_end: bytes('b'), target: 0, result: 0, version: 0 }] }), status.UNIMPLEMENTED, /Compare\.range_end/);
    await rejects(c.call('KV', 'Range', { key: bytes('k'), revision: 50 }), status.OUT_OF_RANGE, /^etcdserver: mvcc: required revision is a future revision$/);
    await rejects(c.call('KV', 'Compact', { revision: 50 }), status.OUT_OF_RANGE, /future revision/);
    await rejects(c.call('Maintenance', 'Hash'), status.UNIMPLEMENTED, /etcdserverpb\.Maintenance\/Hash: not implemented/);
    await rejects(c.call('Cluster', 'MemberAdd', { peerURLs: ['http://x:2380'] }), status.UNIMPLEMENTED, /etcdserverpb\.Cluster\/MemberAdd: not implemented/);
  });

  it('assigns watch ids from 0, filters, cancels and reports progress on one stream', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    const w = watchStream(c, t);
    w.send({ create_request: { key: bytes('a') } });
    w.send({ create_request: { key: bytes('b'), range_end: bytes('c'), filters: [1], prev_kv: true } }); // NODELETE
    w.send({ create_request: { key: bytes('z'), watch_id: 7 } });
    await w.until('three created', (rs) => rs.filter((r) => r.created).length === 3);
    assert.deepEqual(w.responses.filter((r) => r.created).map((r) => r.watch_id), [0, 1, 7]);
    await put(c, 'a', '1');
    await put(c, 'b1', '1');
    await put(c, 'b1', '2');
    await c.call('KV', 'DeleteRange', { key: bytes('b1') });
    await c.call('KV', 'DeleteRange', { key: bytes('a') });
    await w.until('the delete of a', () => w.events(0).length === 2);
    assert.deepEqual(w.events(0).map((e: Msg) => [e.type, text(e.kv.key), e.kv.mod_revision, e.kv.version]), [[0, 'a', 1, 1], [1, 'a', 5, 0]]);
    const b = w.events(1);
    assert.deepEqual(b.map((e: Msg) => [e.type, text(e.kv.value), text(e.prev_kv?.value)]), [[0, '1', ''], [0, '2', '1']], 'no DELETE through the NODELETE filter');

    w.send({ cancel_request: { watch_id: 0 } });
    await w.until('the cancel', (rs) => rs.some((r) => r.canceled && r.watch_id === 0));
    await put(c, 'a', 'after-cancel');
    w.send({ progress_request: {} });
    await w.until('the progress response', (rs) => rs.some((r) => r.watch_id === -1));
    const progress = w.responses.find((r) => r.watch_id === -1);
    assert.equal(progress?.header.revision, 6);
    assert.equal(w.events(0).length, 2, 'nothing after cancel');
    w.send({ create_request: { key: bytes('dup'), watch_id: 7 } });
    await w.until('the duplicate refused', (rs) => rs.some((r) => r.watch_id === 7 && r.canceled));
  });

  it('replays from start_revision, and cancels with compact_revision below the compaction floor', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    for (let i = 1; i <= 5; i++) await put(c, 'k', `v${i}`);
    const w = watchStream(c, t);
    w.send({ create_request: { key: bytes('k'), start_revision: 3 } });
    await w.until('replayed events', () => w.events(0).length === 3);
    assert.deepEqual(w.events(0).map((e: Msg) => text(e.kv.value)), ['v3', 'v4', 'v5']);
    await c.call('KV', 'Compact', { revision: 4 });
    w.send({ create_request: { key: bytes('k'), start_revision: 2 } });
    await w.until('the compaction notice', (rs) => rs.some((r) => r.watch_id === 1 && r.canceled));
    const notice = w.responses.find((r) => r.watch_id === 1 && r.canceled);
    assert.equal(notice?.compact_revision, 4);
    assert.ok(w.responses.some((r) => r.watch_id === 1 && r.created), 'created comes first, as etcd');
    await rejects(c.call('KV', 'Range', { key: bytes('k'), revision: 2 }), status.OUT_OF_RANGE, /^etcdserver: mvcc: required revision has been compacted$/);
  });

  it('sends progress notifications to idle watchers that asked for them', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t, { progressNotifyIntervalMs: 100 });
    await put(c, 'p', '1');
    const w = watchStream(c, t);
    w.send({ create_request: { key: bytes('p'), progress_notify: true } });
    await w.until('a progress notification', (rs) => rs.some((r) => r.watch_id === 0 && !r.created && (r.events ?? []).length === 0));
    const n = w.responses.find((r) => r.watch_id === 0 && !r.created);
    assert.equal(n?.header.revision, 1);
  });

  it('keeps leases alive over a stream, answering TTL 0 for unknown ones, and lists them', { timeout: 30_000 }, async (t) => {
    const { c } = await connect(t);
    const lease = await c.call('Lease', 'LeaseGrant', { TTL: 30 });
    const chosen = await c.call('Lease', 'LeaseGrant', { TTL: 30, ID: 4242 });
    assert.equal(chosen.ID, 4242);
    await rejects(c.call('Lease', 'LeaseGrant', { TTL: 30, ID: 4242 }), status.FAILED_PRECONDITION, /^etcdserver: lease already exists$/);
    const ka = c.stream('Lease', 'LeaseKeepAlive');
    ka.on('error', () => undefined);
    t.after(() => ka.cancel());
    const answers: Msg[] = [];
    ka.on('data', (r: Msg) => answers.push(r));
    ka.write({ ID: lease.ID });
    ka.write({ ID: 999 });
    await waitFor('two keep-alive answers', () => answers.length === 2, 10_000, 10);
    assert.deepEqual(answers.map((a) => [a.ID, a.TTL]), [[lease.ID, 30], [999, 0]]);
    const ttl = await c.call('Lease', 'LeaseTimeToLive', { ID: 999, keys: true });
    assert.equal(ttl.TTL, -1);
    const leases = await c.call('Lease', 'LeaseLeases');
    assert.deepEqual((leases.leases as Msg[]).map((l) => l.ID).sort(), [lease.ID, 4242].sort());
    ka.end();
    await once(ka, 'end');
  });

  it('serves the same store on the unix socket and on TCP', { timeout: 30_000 }, async (t) => {
    const { c, f } = await connect(t);
    const tcp = etcdClient(f.tcpEndpoint);
    t.after(() => tcp.close());
    await put(tcp, 'shared', 'via-tcp');
    assert.equal(text((await c.call('KV', 'Range', { key: bytes('shared') })).kvs[0].value), 'via-tcp');
    assert.equal(f.face.tcpPort, Number(f.tcpEndpoint.split(':')[1]));
  });

  it('replaces a stale socket, refuses to clobber another file, and removes its socket on stop', { timeout: 30_000 }, async (t) => {
    const { f } = await connect(t);
    const path = join(f.dir, 'second.sock');
    // A socket file left behind by a crashed server.
    const stale = createServer();
    await new Promise<void>((resolve) => stale.listen(path, resolve));
    stale.close();
    writeFileSync(join(f.dir, 'not-a-socket'), 'data');
    const blocked = new EtcdFace(f.backend, { socketPath: join(f.dir, 'not-a-socket') });
    await assert.rejects(blocked.start(new AbortController().signal), /exists and is not a socket/);
    const long = new EtcdFace(f.backend, { socketPath: join(f.dir, 'x'.repeat(120), 'kine.sock') });
    await assert.rejects(long.start(new AbortController().signal), /more than the 107 a unix socket path may have; use a shorter --data-dir/);

    const face = new EtcdFace(f.backend, { socketPath: path });
    const stop = new AbortController();
    await face.start(stop.signal);
    const c = etcdClient(`unix://${path}`);
    assert.equal((await c.call('KV', 'Range', { key: bytes('x') })).count, 0);
    c.close();
    assert.equal(statSync(path).mode & 0o777, 0o600, 'owner-only socket');
    stop.abort();
    await face.stopped();
    assert.equal(existsSync(path), false);
  });

  it('re-decides a nested transaction when a write lands between its read and its commit', { timeout: 30_000 }, async (t) => {
    const { f } = await connect(t);
    await f.backend.txn([], [{ type: 'put', key: 'counter', value: bytes('0') }], []);
    // The store as the face sees it, with another writer slipping in once, right before the
    // face commits what it decided from its snapshot.
    let interfered = false;
    const racing = new Proxy(f.backend, {
      get(target, prop, receiver) {
        if (prop !== 'txn') {
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: Parameters<Backend['txn']>) => {
          if (!interfered && args[0].length > 0) {
            interfered = true;
            await target.txn([], [{ type: 'put', key: 'counter', value: bytes('100') }], []);
          }
          return target.txn(...args);
        };
      },
    });
    const path = join(f.dir, 'racing.sock');
    const face = new EtcdFace(racing, { socketPath: path });
    const stop = new AbortController();
    await face.start(stop.signal);
    t.after(async () => {
      stop.abort();
      await face.stopped();
    });
    const c = etcdClient(`unix://${path}`);
    t.after(() => c.close());
    const r = await c.call('KV', 'Txn', {
      success: [{ request_txn: { compare: [{ key: bytes('counter'), target: 3, result: 0, value: bytes('0') }], success: [{ request_put: { key: bytes('counter'), value: bytes('1') } }] } }],
    });
    assert.equal(interfered, true);
    assert.equal(r.responses[0].response_txn.succeeded, false, 'decided again on the new value');
    assert.equal(text((await c.call('KV', 'Range', { key: bytes('counter') })).kvs[0].value), '100', 'the concurrent write is not overwritten');
  });

  it('stops buffering for a watch client that does not read, and resumes it without losing or repeating events', { timeout: 60_000 }, async (t) => {
    const { c, f } = await connect(t);
    const reader = etcdClient(f.tcpEndpoint, true);
    t.after(() => reader.close());
    const stream = reader.stream('Watch', 'Watch');
    stream.on('error', () => undefined);
    t.after(() => stream.cancel());
    const seen: string[] = [];
    const revisions: number[] = [];
    stream.on('data', (r: Msg) => {
      for (const e of r.events ?? []) {
        seen.push(text(e.kv.key));
        revisions.push(e.kv.mod_revision);
      }
    });
    const created = once(stream, 'data');
    stream.write({ create_request: { key: bytes('/slow/'), range_end: bytes('/slow0') } });
    await created;
    stream.pause();
    const value = 'x'.repeat(32 * 1024);
    const total = 400;
    for (let i = 0; i < total; i += 16) {
      await Promise.all(Array.from({ length: Math.min(16, total - i) }, (_, j) => put(c, `/slow/${String(i + j).padStart(4, '0')}`, value)));
    }
    await waitFor('the face to detach the stalled watcher', () => f.face.stats.watchPauses > 0, 20_000, 20);
    stream.resume();
    await waitFor('every event after resuming', () => seen.length >= total, 30_000, 20);
    await new Promise((r) => setTimeout(r, 200));
    const expected = Array.from({ length: total }, (_, i) => `/slow/${String(i).padStart(4, '0')}`);
    assert.deepEqual([...seen].sort(), expected, 'each event exactly once');
    assert.ok(revisions.every((r, i) => i === 0 || r > (revisions[i - 1] ?? 0)), 'in revision order');
  });
});
