import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostsTable, parseHosts } from '../../../src/dns/hosts.js';
import { ClusterZone } from '../../../src/dns/records.js';
import { Resolver } from '../../../src/dns/resolver.js';
import { Forwarder } from '../../../src/dns/upstream.js';
import { decode, encode, query, RCODE, TYPE } from '../../../src/dns/wire.js';

function resolver(): Resolver {
  const zone = new ClusterZone('cluster.local');
  zone.rebuild([{ metadata: { namespace: 'default', name: 'alias' }, spec: { type: 'ExternalName', externalName: 'registry.lab' } }], []);
  const hosts = new HostsTable(parseHosts('192.0.2.50 registry.lab\n').entries);
  // No upstream: anything forwarded fails.
  return new Resolver({ zone: () => zone, hosts: () => hosts, forwarder: new Forwarder(undefined) });
}

async function ask(raw: Buffer): Promise<ReturnType<typeof decode> | undefined> {
  const r = await resolver().answer(raw, 'udp');
  return r ? decode(r.response) : undefined;
}

test('an ExternalName pointing at a custom entry is answered whole: CNAME then the address, authoritative', async () => {
  const m = await ask(encode(query(9, 'alias.default.svc.cluster.local', TYPE.A)));
  assert.equal(m?.id, 9);
  assert.equal(m?.authoritative, true);
  assert.equal(m?.recursionAvailable, true);
  assert.deepEqual(m?.answers.map((r) => r.data), [{ type: TYPE.CNAME, target: 'registry.lab' }, { type: TYPE.A, address: '192.0.2.50' }]);
});

test('outside names with no upstream reachable answer SERVFAIL, not silence', async () => {
  const m = await ask(encode(query(10, 'example.org', TYPE.A)));
  assert.equal(m?.rcode, RCODE.SERVFAIL);
});

test('bad requests: FORMERR for garbage after a header, NOTIMP for other opcodes, REFUSED for other classes, nothing for responses or runts', async () => {
  const garbage = Buffer.concat([encode(query(11, 'x', TYPE.A)).subarray(0, 12), Buffer.from([0xff, 0xff])]);
  assert.equal((await ask(garbage))?.rcode, RCODE.FORMERR);
  assert.equal((await ask(encode({ ...query(12, 'x', TYPE.A), opcode: 2 })))?.rcode, RCODE.NOTIMP);
  assert.equal((await ask(encode({ ...query(13, 'x', TYPE.A), questions: [{ name: 'x', type: TYPE.A, class: 3 }] })))?.rcode, RCODE.REFUSED);
  assert.equal((await ask(encode({ ...query(14, 'x', TYPE.A), questions: [] })))?.rcode, RCODE.FORMERR);
  assert.equal(await ask(encode({ ...query(15, 'x', TYPE.A), response: true })), undefined);
  assert.equal(await ask(Buffer.alloc(4)), undefined);
});

test('an EDNS(0) query gets an OPT record back; a plain one does not', async () => {
  const withOpt = await ask(encode(query(16, 'registry.lab', TYPE.A, { udpSize: 4096 })));
  assert.equal(withOpt?.additionals.at(-1)?.data.type, TYPE.OPT);
  const plain = await ask(encode(query(17, 'registry.lab', TYPE.A)));
  assert.equal(plain?.additionals.length, 0);
});
