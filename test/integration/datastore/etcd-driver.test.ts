/**
 * What is particular to the external etcd driver, against a real etcd 3.4: TLS with client
 * certificates, revisions and compaction that are etcd's own (shared with other clients such as
 * etcdctl), and startup against a cluster that is not there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint, type EtcdEndpoint } from '../../../src/datastore/endpoint.js';
import { EtcdBackend } from '../../../src/datastore/etcd/index.js';
import { CompactedError, prefixRange, type WatchEvent } from '../../../src/datastore/types.js';
import { startEtcd, type EtcdServer } from '../../helpers/db-servers.js';
import { freePort, waitFor } from '../../helpers/index.js';
import { logger } from '../../../src/log/index.js';

const quiet = logger('test').child({}, { level: 'silent' });

function etcdEndpoint(server: EtcdServer): EtcdEndpoint {
  return parseEndpoint(server.endpoint, server.tls ?? {}) as EtcdEndpoint;
}

async function open(t: { after(fn: () => unknown): void }, endpoint: EtcdEndpoint, startTimeoutMs = 10_000): Promise<EtcdBackend> {
  const backend = new EtcdBackend(endpoint, { startTimeoutMs, log: quiet });
  t.after(() => backend.close());
  await backend.start();
  return backend;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

describe('etcd driver on a real etcd', () => {
  let etcd: EtcdServer;
  before(async () => {
    etcd = await startEtcd();
  });
  after(() => etcd.stop());

  test('revisions are etcd\'s own: a key written by etcdctl is read with the revision etcd reports', async (t) => {
    const backend = await open(t, etcdEndpoint(etcd));
    await etcd.etcdctl(['put', '/shared/by-etcdctl', 'hello']);
    const json = JSON.parse(await etcd.etcdctl(['get', '/shared/by-etcdctl', '-w', 'json'])) as { kvs: { mod_revision: number }[] };
    const { kv } = await backend.get('/shared/by-etcdctl');
    assert.equal(str(kv?.value), 'hello');
    assert.equal(kv?.modRevision, json.kvs[0]?.mod_revision);
    const { revision } = await backend.create('/shared/by-k3s', text('x'));
    assert.equal((await etcd.etcdctl(['get', '/shared/by-k3s', '--print-value-only'])).trim(), 'x');
    assert.equal(await backend.currentRevision(), revision);
  });

  test('a watch sees writes made by another etcd client, one call per revision', async (t) => {
    const backend = await open(t, etcdEndpoint(etcd));
    const events: WatchEvent[][] = [];
    const w = backend.watch({ ...prefixRange('/other-writer/'), prevKv: true }, { onEvents: (e) => events.push([...e]), onError: (e) => assert.fail(e) });
    t.after(() => w.cancel());
    // Let etcd register the watch before the foreign writes (our own writes wait for it).
    await backend.currentRevision();
    await backend.create('/other-writer/sync', text('0'));
    await etcd.etcdctl(['put', '/other-writer/a', '1']);
    await etcd.etcdctl(['put', '/other-writer/a', '2']);
    await etcd.etcdctl(['del', '/other-writer/a']);
    await waitFor('4 watch batches', () => events.length >= 4, 10_000);
    assert.deepEqual(events.map((batch) => batch.map((e) => `${e.type} ${e.kv.key} ${str(e.kv.value)} prev=${str(e.prevKv?.value)}`)), [
      ['put /other-writer/sync 0 prev='],
      ['put /other-writer/a 1 prev='],
      ['put /other-writer/a 2 prev=1'],
      ['delete /other-writer/a  prev=2'],
    ]);
    const revisions = events.map((b) => b[0]?.kv.modRevision ?? 0);
    assert.deepEqual([...revisions].sort((a, b) => a - b), revisions);
  });

  test('compaction is etcd\'s: the floor set by etcdctl is found, and a watch from below it reports CompactedError', async (t) => {
    const backend = await open(t, etcdEndpoint(etcd));
    const first = await backend.create(`/compact/${Date.now()}`, text('a'));
    for (let i = 0; i < 5; i++) await backend.update(`/compact/k`, text(String(i)), i === 0 ? 0 : (await backend.get('/compact/k')).kv?.modRevision ?? 0);
    const floor = (await backend.currentRevision()) - 2;
    await etcd.etcdctl(['compaction', String(floor)]);
    assert.equal(await backend.compactRevision(), floor);
    await assert.rejects(backend.get('/compact/k', first.revision), (err: unknown) => err instanceof CompactedError && err.compactRevision === floor);
    const error = await new Promise<Error>((resolve) => {
      backend.watch({ key: '/compact/k', startRevision: first.revision }, { onEvents: () => undefined, onError: resolve });
    });
    assert.ok(error instanceof CompactedError, String(error));
    assert.equal(error.compactRevision, floor);
    assert.equal((await backend.get('/compact/k', floor)).revision > 0, true, 'the floor itself stays readable');
  });

  test('compacts etcd on a timer, keeping the configured number of revisions', async (t) => {
    const own = await startEtcd(t);
    const backend = new EtcdBackend(etcdEndpoint(own), { compactIntervalMs: 200, compactRetain: 5, log: quiet });
    t.after(() => backend.close());
    await backend.start();
    for (let i = 0; i < 20; i++) await backend.create(`/timer/${i}`, text('v'));
    const current = await backend.currentRevision();
    await waitFor('timed compaction', async () => (await backend.compactRevision()) >= current - 5, 5000, 50);
    // The floor is etcd's own: etcdctl reading below it fails the same way.
    await assert.rejects(own.etcdctl(['get', '/timer/0', '--rev', '2']), /required revision has been compacted/);
  });

  test('a watch survives an etcd restart: writes made while its stream was down arrive once, in order', async (t) => {
    const own = await startEtcd(t);
    const backend = await open(t, etcdEndpoint(own));
    const seen: string[] = [];
    let failed: Error | undefined;
    const w = backend.watch(prefixRange('/restart/'), { onEvents: (e) => seen.push(...e.map((x) => `${x.kv.key}@${x.kv.modRevision}`)), onError: (e) => (failed = e) });
    t.after(() => w.cancel());
    await backend.create('/restart/before', text('1'));
    await waitFor('the first event', () => seen.length === 1, 5000, 10);
    await own.restart();
    // Written by another client right after the restart, before our stream has reconnected.
    await own.etcdctl(['put', '/restart/during', '2']);
    await own.etcdctl(['put', '/restart/after', '3']);
    await waitFor('the events after the restart', () => seen.length >= 3 || failed, 20_000, 20);
    assert.equal(failed, undefined);
    assert.deepEqual(seen.map((s) => s.split('@')[0]), ['/restart/before', '/restart/during', '/restart/after']);
    const revisions = seen.map((s) => Number(s.split('@')[1]));
    assert.deepEqual(revisions, [...revisions].sort((a, b) => a - b));
    // Reads and writes work again through the same backend.
    await backend.create('/restart/later', text('4'));
  });

  test('with several members listed, a dead first member is skipped for the live one', async (t) => {
    const dead = await freePort();
    const endpoint = parseEndpoint(`http://127.0.0.1:${dead},${etcd.endpoint}`) as EtcdEndpoint;
    const backend = new EtcdBackend(endpoint, { startTimeoutMs: 10_000, requestTimeoutMs: 2000, log: quiet });
    t.after(() => backend.close());
    await backend.start();
    await backend.create('/members/key', text('v'));
    assert.equal((await etcd.etcdctl(['get', '/members/key', '--print-value-only'])).trim(), 'v');
  });

  test('an unreachable etcd at startup is retried, then fails with an error naming the endpoint', async (t) => {
    const port = await freePort();
    const backend = new EtcdBackend(parseEndpoint(`http://127.0.0.1:${port}`) as EtcdEndpoint, { startTimeoutMs: 1500, requestTimeoutMs: 500, log: quiet });
    t.after(() => backend.close());
    const started = Date.now();
    await assert.rejects(backend.start(), (err: Error) => {
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(err.message, /gave up after [2-9] attempts/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'gave up near the deadline');
  });

  test('start() waits for an etcd that comes up later', async (t) => {
    const late = await freePort();
    const endpoint = parseEndpoint(`http://127.0.0.1:${late}`) as EtcdEndpoint;
    const backend = new EtcdBackend(endpoint, { startTimeoutMs: 30_000, requestTimeoutMs: 1000, log: quiet });
    t.after(() => backend.close());
    const starting = backend.start();
    await new Promise((r) => setTimeout(r, 800));
    // A second etcd on exactly the port the backend is dialing.
    const server = await startEtcd(t, { port: late });
    await starting;
    await backend.create('/late/key', text('v'));
    assert.equal((await server.etcdctl(['get', '/late/key', '--print-value-only'])).trim(), 'v');
  });
});

describe('etcd driver over TLS', () => {
  let etcd: EtcdServer;
  before(async () => {
    etcd = await startEtcd(undefined, { tls: true });
  });
  after(() => etcd.stop());

  test('connects with --datastore-cafile/certfile/keyfile and reads and writes', async (t) => {
    assert.ok(etcd.endpoint.startsWith('https://'));
    const backend = await open(t, etcdEndpoint(etcd));
    await backend.create('/tls/key', text('secure'));
    assert.equal((await etcd.etcdctl(['get', '/tls/key', '--print-value-only'])).trim(), 'secure');
    assert.ok((await backend.dbSize()) > 0);
  });

  test('without a client certificate etcd refuses the connection and start() says why', async (t) => {
    const endpoint = parseEndpoint(etcd.endpoint, { caFile: etcd.tls?.caFile }) as EtcdEndpoint;
    const backend = new EtcdBackend(endpoint, { startTimeoutMs: 30_000, requestTimeoutMs: 2000, log: quiet });
    t.after(() => backend.close());
    const started = Date.now();
    await assert.rejects(backend.start(), /^DatastoreOpenError: cannot use the datastore etcd https:\/\/127\.0\.0\.1:\d+: etcd datastore: connecting failed at https:\/\/127\.0\.0\.1:\d+: .*bad certificate.* \(for https, also check --datastore-cafile\/certfile\/keyfile\)$/);
    assert.ok(Date.now() - started < 5000, 'a refused certificate is not retried for the whole start timeout');
  });

  test('a missing CA file is reported with the flag that names it', async (t) => {
    const endpoint = parseEndpoint(etcd.endpoint, { caFile: '/nonexistent/ca.crt', certFile: etcd.tls?.certFile, keyFile: etcd.tls?.keyFile }) as EtcdEndpoint;
    const backend = new EtcdBackend(endpoint, { startTimeoutMs: 1000, log: quiet });
    t.after(() => backend.close());
    await assert.rejects(backend.start(), /cannot read --datastore-cafile \/nonexistent\/ca\.crt: ENOENT/);
  });
});
