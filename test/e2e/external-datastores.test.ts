/**
 * `k3s server --datastore-endpoint` with each external datastore, end to end: the real k3s CLI,
 * the real kubectl, and a real PostgreSQL, MariaDB and etcd. Also two k3s servers sharing one
 * PostgreSQL database: what one writes, the other lists and watches. (They do not share a
 * certificate authority yet: each is reached with its own kubeconfig.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, startMariadb, startPostgres, type EtcdServer, type SqlServer } from '../helpers/db-servers.js';
import { waitFor } from '../helpers/index.js';
import { startCluster, type Cluster } from './kubectl-cluster.js';

async function mustKubectl(cluster: Cluster, args: readonly string[]): Promise<string> {
  const result = await cluster.kubectl(args);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Creates a ConfigMap through the cluster and reads it back. */
async function roundTrip(cluster: Cluster, name: string): Promise<void> {
  await mustKubectl(cluster, ['create', 'configmap', name, '--from-literal=k=v']);
  assert.equal(await mustKubectl(cluster, ['get', 'configmap', name, '-o', 'jsonpath={.data.k}']), 'v');
}

describe('k3s server on PostgreSQL', () => {
  let pg: SqlServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg.stop());

  test('kubectl works, the objects are rows in the database, and the password never reaches the log', async (t) => {
    const database = await pg.createDatabase();
    const cluster = await startCluster(t, ['--datastore-endpoint', pg.endpoint(database)]);
    await roundTrip(cluster, 'on-postgres');
    const rows = await pg.sql(`SELECT count(*) FROM kv_log WHERE convert_from(name, 'UTF8') = '/registry/configmaps/default/on-postgres'`, database);
    assert.equal(rows.trim(), '1');
    assert.ok(!cluster.server.output().includes(pg.password), 'the datastore password is not in the server log');
  });
});

describe('two k3s servers on one PostgreSQL database', () => {
  let pg: SqlServer;
  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg.stop());

  test('each lists and watches what the other writes', async (t) => {
    const database = await pg.createDatabase();
    const a = await startCluster(t, ['--datastore-endpoint', pg.endpoint(database)]);
    const b = await startCluster(t, ['--datastore-endpoint', pg.endpoint(database)]);
    await mustKubectl(a, ['create', 'configmap', 'from-a', '--from-literal=k=a']);
    await waitFor('server b to list server a\'s ConfigMap', async () => (await b.kubectl(['get', 'configmap', 'from-a', '-o', 'name'])).code === 0, 10_000, 100);
    // A watch on b, then writes through a: the events cross servers through the database.
    const watching = b.kubectl(['get', 'configmaps', '--watch', '-o', 'name', '--request-timeout=6s'], { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await mustKubectl(a, ['create', 'configmap', 'later-from-a', '--from-literal=k=a2']);
    await mustKubectl(b, ['create', 'configmap', 'from-b', '--from-literal=k=b']);
    const watched = (await watching).stdout;
    assert.match(watched, /configmap\/later-from-a/);
    assert.match(watched, /configmap\/from-b/);
    assert.equal(await mustKubectl(a, ['get', 'configmap', 'from-b', '-o', 'jsonpath={.data.k}']), 'b');
  });
});

describe('k3s server on MariaDB', () => {
  let my: SqlServer;
  before(async () => {
    my = await startMariadb();
  });
  after(() => my.stop());

  test('kubectl works and the objects are rows in the database (created by k3s)', async (t) => {
    const database = `k3s_e2e_${Date.now()}`;
    const cluster = await startCluster(t, ['--datastore-endpoint', my.endpoint(database)]);
    await roundTrip(cluster, 'on-mariadb');
    const rows = await my.sql(`SELECT count(*) FROM kv_log WHERE name = '/registry/configmaps/default/on-mariadb'`, database);
    assert.equal(rows.trim(), '1');
    assert.ok(!cluster.server.output().includes(my.password), 'the datastore password is not in the server log');
  });
});

describe('k3s server on etcd', () => {
  let etcd: EtcdServer;
  before(async () => {
    etcd = await startEtcd(undefined, { tls: true });
  });
  after(() => etcd.stop());

  test('kubectl works over TLS with --datastore-cafile/certfile/keyfile, and the objects are etcd keys', async (t) => {
    const files = etcd.tls;
    assert.ok(files);
    const cluster = await startCluster(t, ['--datastore-endpoint', etcd.endpoint, '--datastore-cafile', files.caFile, '--datastore-certfile', files.certFile, '--datastore-keyfile', files.keyFile]);
    await roundTrip(cluster, 'on-etcd');
    const keys = await etcd.etcdctl(['get', '/registry/configmaps/default/on-etcd', '--keys-only']);
    assert.match(keys, /\/registry\/configmaps\/default\/on-etcd/);
  });
});
