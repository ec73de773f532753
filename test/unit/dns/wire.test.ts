import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLASS_IN, decode, encode, encodeForUdp, optRecord, query, RCODE, TYPE, udpLimit, WireError, type Message, type ResourceRecord } from '../../../src/dns/wire.js';

function response(records: ResourceRecord[], extra: Partial<Message> = {}): Message {
  return { ...query(0x1234, 'web.default.svc.cluster.local', TYPE.A), response: true, authoritative: true, recursionAvailable: true, answers: records, ...extra };
}

test('a query encodes as a stub resolver sends it (header, one question) and decodes back', () => {
  const bytes = encode(query(0xbeef, 'Example.COM.', TYPE.AAAA));
  // id, flags RD, qd=1, an=ns=ar=0, then 7example3com0, type 28, class 1
  assert.equal(bytes.toString('hex'), 'beef01000001000000000000076578616d706c6503636f6d00001c0001');
  const back = decode(bytes);
  assert.equal(back.id, 0xbeef);
  assert.equal(back.recursionDesired, true);
  assert.deepEqual(back.questions, [{ name: 'example.com', type: TYPE.AAAA, class: CLASS_IN }]);
});

test('every record type cluster DNS answers round-trips', () => {
  const ttl = 5;
  const records: ResourceRecord[] = [
    { name: 'web.default.svc.cluster.local', class: CLASS_IN, ttl, data: { type: TYPE.A, address: '10.43.12.7' } },
    { name: 'web.default.svc.cluster.local', class: CLASS_IN, ttl, data: { type: TYPE.AAAA, address: 'fd00:10:43::7' } },
    { name: 'ext.default.svc.cluster.local', class: CLASS_IN, ttl, data: { type: TYPE.CNAME, target: 'example.org' } },
    { name: '_http._tcp.web.default.svc.cluster.local', class: CLASS_IN, ttl, data: { type: TYPE.SRV, priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } },
    { name: '7.12.43.10.in-addr.arpa', class: CLASS_IN, ttl, data: { type: TYPE.PTR, target: 'web.default.svc.cluster.local' } },
    { name: 'cluster.local', class: CLASS_IN, ttl, data: { type: TYPE.SOA, mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } },
    { name: 'cluster.local', class: CLASS_IN, ttl, data: { type: TYPE.TXT, texts: ['hello', 'world'] } },
    { name: 'x.example', class: CLASS_IN, ttl, data: { type: 99, raw: Buffer.from([1, 2, 3]) } },
  ];
  const back = decode(encode(response(records)));
  assert.deepEqual(back.answers, records);
  assert.equal(back.response, true);
  assert.equal(back.authoritative, true);
  assert.equal(back.recursionAvailable, true);
});

test('IPv6 addresses come back in their shortest form, embedded IPv4 included', () => {
  for (const [given, expected] of [
    ['::1', '::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['fe80::', 'fe80::'],
  ] as const) {
    const back = decode(encode(response([{ name: 'a', class: CLASS_IN, ttl: 1, data: { type: TYPE.AAAA, address: given } }])));
    assert.deepEqual(back.answers[0]?.data, { type: TYPE.AAAA, address: expected }, given);
  }
});

test('names repeated in a message are compressed to pointers', () => {
  const many = Array.from({ length: 20 }, (_, i) => ({ name: 'web.default.svc.cluster.local', class: CLASS_IN, ttl: 5, data: { type: TYPE.A, address: `10.42.0.${i}` } }) as ResourceRecord);
  const bytes = encode(response(many));
  // Header 12 + question 35 + 20 answers of (2 pointer + 10 + 4).
  assert.equal(bytes.length, 12 + 35 + 20 * 16);
  assert.equal(decode(bytes).answers.length, 20);
});

test('malformed input is rejected with a WireError, never a crash or a hang', () => {
  assert.throws(() => decode(Buffer.alloc(5)), WireError);
  const loop = Buffer.from('000101000001000000000000c00c00010001', 'hex');
  assert.throws(() => decode(loop), /loop|past the end/);
  const header = Buffer.from('00010100000100000000000003777777', 'hex');
  assert.throws(() => decode(header), WireError);
  const badA = encode(response([{ name: 'a', class: CLASS_IN, ttl: 1, data: { type: 99, raw: Buffer.from([1, 2, 3]) } }]));
  // Relabel the raw record as an A record of 3 octets.
  const typeAt = badA.length - 3 - 10;
  badA.writeUInt16BE(TYPE.A, typeAt);
  assert.throws(() => decode(badA), /not 4 octets/);
});

test('a label longer than 63 octets cannot be encoded', () => {
  assert.throws(() => encode(query(1, `${'a'.repeat(64)}.example`, TYPE.A)), /longer than 63/);
});

test('UDP answers above the requester\'s limit are truncated (TC) so it retries over TCP', () => {
  const big = Array.from({ length: 60 }, (_, i) => ({ name: `host-${i}.headless.default.svc.cluster.local`, class: CLASS_IN, ttl: 5, data: { type: TYPE.A, address: `10.42.0.${i}` } }) as ResourceRecord);
  const plain = query(7, 'headless.default.svc.cluster.local', TYPE.A);
  assert.equal(udpLimit(plain), 512);
  const cut = decode(encodeForUdp(response(big), udpLimit(plain)));
  assert.equal(cut.truncated, true);
  assert.equal(cut.answers.length, 0);
  const edns = query(7, 'headless.default.svc.cluster.local', TYPE.A, { udpSize: 4096 });
  assert.equal(udpLimit(edns), 4096);
  const whole = decode(encodeForUdp(response(big, { additionals: [optRecord(1232)] }), udpLimit(edns)));
  assert.equal(whole.truncated, false);
  assert.equal(whole.answers.length, 60);
  assert.equal(whole.additionals[0]?.data.type, TYPE.OPT);
});

test('rcode and flags survive a round trip', () => {
  const back = decode(encode({ ...response([]), rcode: RCODE.NXDOMAIN, truncated: true }));
  assert.equal(back.rcode, RCODE.NXDOMAIN);
  assert.equal(back.truncated, true);
});
