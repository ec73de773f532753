/**
 * The real etcdctl (etcd-client 3.4, API v3) against the etcd face on the real SQLite store:
 * what an operator types must work as it does against etcd.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openBackend, parseEndpoint } from '../../../src/datastore/index.js';
import { etcdFaceFor } from '../../../src/etcd/index.js';
import { freePort, run, spawnTracked, tempDir, waitFor } from '../../helpers/index.js';
import { startFace } from './fixture.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString();

interface JsonKv {
  key: string;
  value?: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  lease?: number;
}
interface JsonGet {
  header: { revision: number; cluster_id: number; member_id: number; raft_term: number };
  kvs?: JsonKv[];
  count?: number;
  more?: boolean;
}

describe('etcdctl against the etcd face', { timeout: 120_000 }, () => {
  it('puts, gets and deletes keys and prefixes over the unix socket and over TCP', async (t) => {
    const f = await startFace(t);
    await f.etcdctl(['put', '/app/a', 'one']);
    await f.etcdctl(['put', '/app/b', 'two'], { endpoint: f.tcpEndpoint });
    await f.etcdctl(['put', '/other', 'x'], { endpoint: `http://${f.tcpEndpoint}` });

    const prefix = await f.etcdctl(['get', '--prefix', '/app/']);
    assert.equal(prefix.stdout, '/app/a\none\n/app/b\ntwo\n');
    const keysOnly = await f.etcdctl(['get', '--prefix', '/app/', '--keys-only'], { endpoint: f.tcpEndpoint });
    assert.equal(keysOnly.stdout.trim().split('\n').filter(Boolean).join(','), '/app/a,/app/b');

    const json = JSON.parse((await f.etcdctl(['get', '--prefix', '/', '-w', 'json', '--limit', '2'])).stdout) as JsonGet;
    assert.equal(json.count, 3);
    assert.equal(json.more, true);
    assert.deepEqual(json.kvs?.map((kv) => unb64(kv.key)), ['/app/a', '/app/b']);
    assert.equal(json.header.revision, 3);

    const desc = await f.etcdctl(['get', '--prefix', '/', '--order', 'DESCEND', '--keys-only']);
    assert.deepEqual(desc.stdout.split('\n').filter(Boolean), ['/other', '/app/b', '/app/a']);

    const del = await f.etcdctl(['del', '--prefix', '/app/', '--prev-kv']);
    assert.equal(del.stdout, '2\n/app/a\none\n/app/b\ntwo\n');
    assert.equal((await f.etcdctl(['get', '--prefix', '/app/'])).stdout, '');
    assert.equal((await f.etcdctl(['get', '/other', '--print-value-only'])).stdout, 'x\n');
    assert.equal((await f.etcdctl(['del', '/missing'])).stdout, '0\n');
  });

  it('reads older revisions with get --rev and refuses compacted ones', async (t) => {
    const f = await startFace(t);
    await f.etcdctl(['put', 'k', 'v1']);
    await f.etcdctl(['put', 'k', 'v2']);
    await f.etcdctl(['put', 'k', 'v3']);
    const at1 = JSON.parse((await f.etcdctl(['get', 'k', '--rev', '1', '-w', 'json'])).stdout) as JsonGet;
    assert.equal(unb64(at1.kvs?.[0]?.value ?? ''), 'v1');
    assert.equal(at1.kvs?.[0]?.version, 1);
    const now = JSON.parse((await f.etcdctl(['get', 'k', '-w', 'json'])).stdout) as JsonGet;
    assert.deepEqual(now.kvs?.[0], { key: b64('k'), value: b64('v3'), create_revision: 1, mod_revision: 3, version: 3 });

    assert.match((await f.etcdctl(['compaction', '2'])).stdout, /compacted revision 2/);
    const old = await f.etcdctl(['get', 'k', '--rev', '1'], { allowFail: true });
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /required revision has been compacted/);
    const future = await f.etcdctl(['get', 'k', '--rev', '99'], { allowFail: true });
    assert.match(future.stderr, /required revision is a future revision/);
  });

  it('runs txn -i with value, mod, version and create compares, taking the right branch', async (t) => {
    const f = await startFace(t);
    await f.etcdctl(['put', 'k', 'v1']);
    await f.etcdctl(['put', 'k', 'v2']);
    const ok = await f.etcdctl(['txn', '-i'], {
      input: 'value("k") = "v2"\nmod("k") > "1"\nversion("k") = "2"\ncreate("k") = "1"\n\nput k v3\nput other o\n\nput k never\n\n',
    });
    assert.match(ok.stdout, /SUCCESS\n\nOK\n\nOK\n$/);
    const failed = await f.etcdctl(['txn', '-i'], { input: 'value("k") = "v2"\n\nput k never\n\nget k\n\n' });
    assert.match(failed.stdout, /FAILURE\n\nk\nv3\n$/);
    const missing = await f.etcdctl(['txn', '-i'], { input: 'create("absent") = "0"\n\nput absent created\n\n\n' });
    assert.match(missing.stdout, /SUCCESS/);
    assert.equal((await f.etcdctl(['get', 'absent', '--print-value-only'])).stdout, 'created\n');
  });

  it('streams watch events from a past revision with previous values, then live ones', async (t) => {
    const f = await startFace(t);
    await f.etcdctl(['put', '/w/a', 'v1']);
    await f.etcdctl(['put', '/w/a', 'v2']);
    const watch = spawnTracked(t, 'etcdctl', ['--endpoints', f.unixEndpoint, 'watch', '--prefix', '/w/', '--rev', '1', '--prev-kv'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    await waitFor('the replayed events', () => watch.output().includes('v2'), 15_000);
    await f.etcdctl(['del', '/w/a']);
    await f.etcdctl(['put', '/w/b', 'live'], { endpoint: f.tcpEndpoint });
    await waitFor('the live events', () => watch.output().includes('live'), 15_000);
    assert.equal(watch.output(), ['PUT', '/w/a', 'v1', 'PUT', '/w/a', 'v1', '/w/a', 'v2', 'DELETE', '/w/a', 'v2', '/w/a', '', 'PUT', '/w/b', 'live', ''].join('\n'));
  });

  it('grants, keeps alive, inspects and revokes leases; an expired lease deletes its keys', async (t) => {
    const f = await startFace(t);
    const granted = (await f.etcdctl(['lease', 'grant', '60'])).stdout;
    const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(granted)?.[1];
    assert.ok(id, granted);
    await f.etcdctl(['put', '--lease', id, 'leased', 'v']);
    assert.match((await f.etcdctl(['lease', 'timetolive', id, '--keys'])).stdout, new RegExp(`lease ${id} granted with TTL\\(60s\\), remaining\\((5[0-9]|60)s\\), attached keys\\(\\[leased\\]\\)`));
    assert.match((await f.etcdctl(['lease', 'keep-alive', '--once', id])).stdout, new RegExp(`lease ${id} keepalived with TTL\\(60\\)`));
    assert.match((await f.etcdctl(['lease', 'list'])).stdout, new RegExp(`found 1 leases\\n${id}`));
    assert.match((await f.etcdctl(['lease', 'revoke', id])).stdout, new RegExp(`lease ${id} revoked`));
    assert.equal((await f.etcdctl(['get', 'leased'])).stdout, '', 'revoking deletes the attached key');
    const again = await f.etcdctl(['lease', 'revoke', id], { allowFail: true });
    assert.match(again.stderr, /requested lease not found/);

    const short = /lease ([0-9a-f]+) granted/.exec((await f.etcdctl(['lease', 'grant', '1'])).stdout)?.[1];
    assert.ok(short);
    await f.etcdctl(['put', '--lease', short, 'ephemeral', 'v']);
    await waitFor('the lease to expire and delete its key', async () => (await f.etcdctl(['get', 'ephemeral'])).stdout === '', 10_000, 200);
    assert.match((await f.etcdctl(['lease', 'timetolive', short])).stdout, new RegExp(`lease ${short} already expired`));
    const events = JSON.parse((await f.etcdctl(['get', 'ephemeral', '-w', 'json'])).stdout) as JsonGet;
    assert.equal(events.kvs, undefined);
  });

  it('reports endpoint status, health and the single member', async (t) => {
    const f = await startFace(t);
    await f.etcdctl(['put', 'a', 'b']);
    for (const endpoint of [f.unixEndpoint, f.tcpEndpoint, `http://${f.tcpEndpoint}`]) {
      const status = JSON.parse((await f.etcdctl(['endpoint', 'status', '-w', 'json'], { endpoint })).stdout) as { Endpoint: string; Status: Record<string, number | string> & { header: { member_id: number; revision: number } } }[];
      assert.equal(status.length, 1);
      const s = status[0]?.Status;
      assert.ok(s);
      assert.match(String(s.version), /^3\.5\.\d+$/);
      assert.equal(s.leader, s.header.member_id, 'the only member is the leader');
      assert.equal(s.raftIndex, 1);
      assert.ok(Number(s.dbSize) > 0);
      assert.match((await f.etcdctl(['endpoint', 'health'], { endpoint })).stdout + (await f.etcdctl(['endpoint', 'health'], { endpoint })).stderr, /is healthy/);
    }
    const members = JSON.parse((await f.etcdctl(['member', 'list', '-w', 'json'])).stdout) as { header: { member_id: number }; members: { ID: number; name: string; clientURLs: string[] }[] };
    assert.equal(members.members.length, 1);
    assert.equal(members.members[0]?.ID, members.header.member_id);
    assert.deepEqual(members.members[0]?.clientURLs, [f.unixEndpoint, `http://${f.tcpEndpoint}`]);
  });

  it('answers UNIMPLEMENTED, naming the method, for what the face does not do', async (t) => {
    const f = await startFace(t);
    const defrag = await f.etcdctl(['defrag'], { allowFail: true });
    assert.notEqual(defrag.code, 0);
    assert.match(defrag.stderr, /Unimplemented desc = etcdserverpb\.Maintenance\/Defragment: not implemented/);
    const users = await f.etcdctl(['user', 'list'], { allowFail: true });
    assert.match(users.stderr, /etcdserverpb\.Auth\/UserList: not implemented/);
  });

  it('serves the server face on <data-dir>/server/kine.sock and on --etcd-listen-address', async (t) => {
    const dataDir = tempDir(t, 'k3s-etcd-data-');
    const backend = await openBackend(parseEndpoint(undefined), { dataDir });
    const port = await freePort();
    const datastore = { endpoint: undefined, caFile: undefined, certFile: undefined, keyFile: undefined, etcdListenAddress: `127.0.0.1:${port}` };
    const face = etcdFaceFor({ dataDir, datastore }, backend);
    const stop = new AbortController();
    await face.start(stop.signal);
    t.after(async () => {
      stop.abort();
      await face.stopped();
      await backend.close();
    });
    const env = { ...process.env, ETCDCTL_API: '3' };
    const socket = join(dataDir, 'server', 'kine.sock');
    assert.equal((await run('etcdctl', ['--endpoints', `unix://${socket}`, 'put', 'where', 'here'], { env })).stdout, 'OK\n');
    assert.equal((await run('etcdctl', ['--endpoints', `127.0.0.1:${port}`, 'get', 'where', '--print-value-only'], { env })).stdout, 'here\n');
    // The same store the API server uses: the default SQLite file under the data dir.
    assert.ok(existsSync(join(dataDir, 'server', 'db', 'state.db')));
  });
});
