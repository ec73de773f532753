import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/types.js';
import type { ConntrackCleaner } from '../../../src/proxy/conntrack.js';
import type { IptablesRunner } from '../../../src/proxy/iptables.js';
import { ServiceProxy } from '../../../src/proxy/proxier.js';
import type { Jump, TableName } from '../../../src/proxy/rules.js';
import { FakeApi } from '../../helpers/fake-api.js';

const SERVICES = { group: '', version: 'v1', resource: 'services', namespace: 'default' };
const SLICES = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace: 'default' };

/** Keeps chains as iptables-restore --noflush would (declared chains exist, -X deletes), and every input. */
class FakeIptables implements IptablesRunner {
  readonly inputs: string[] = [];
  readonly jumps = new Set<string>();
  readonly tables: Record<TableName, Set<string>> = { nat: new Set(['PREROUTING', 'OUTPUT', 'POSTROUTING', 'CNI-HOSTPORT-DNAT']), filter: new Set(['INPUT', 'FORWARD', 'OUTPUT']) };
  async version(): Promise<string> {
    return 'iptables v1.8.9 (fake)';
  }
  async restore(input: string): Promise<void> {
    this.inputs.push(input);
    let table: TableName = 'filter';
    for (const line of input.split('\n')) {
      if (line === '*nat' || line === '*filter') table = line.slice(1) as TableName;
      else if (line.startsWith(':')) this.tables[table].add(line.slice(1).split(' ')[0]!);
      else if (line.startsWith('-X ')) this.tables[table].delete(line.slice(3));
    }
  }
  async chains(table: TableName): Promise<string[]> {
    return [...this.tables[table]];
  }
  async ensureJump(jump: Jump): Promise<void> {
    this.jumps.add(`${jump.table}/${jump.chain}/${jump.args.join(' ')}`);
  }
  async removeJump(jump: Jump): Promise<void> {
    this.jumps.delete(`${jump.table}/${jump.chain}/${jump.args.join(' ')}`);
  }
}

const cleared: { ip?: string; port: number; endpointIP?: string }[] = [];
const conntrack: ConntrackCleaner = { available: true, clear: async (target) => void cleared.push(target) };

function procSys(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-sys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const path of ['net/ipv4/ip_forward', 'net/ipv4/conf/all/route_localnet', 'net/bridge/bridge-nf-call-iptables']) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), '1');
  }
  return dir;
}

function slice(ips: string[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'dns-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'dns' } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'n1' })),
  } as KubeObject;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the proxy syncs before start resolves, coalesces bursts, deletes what went, clears UDP flows and cleans up on stop', async (t) => {
  const api = new FakeApi();
  await api.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'dns', namespace: 'default' }, spec: { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } } as KubeObject);
  await api.create(SLICES, slice(['10.42.0.5', '10.42.0.6']));
  const iptables = new FakeIptables();
  const controller = new AbortController();
  const proxy = new ServiceProxy({ client: api, nodeName: 'n1', clusterCidr: '10.42.0.0/16', minSyncIntervalMs: 300, fullSyncIntervalMs: 60_000, iptables, conntrack, procSys: procSys(t) });
  await proxy.start(controller.signal);
  t.after(() => controller.abort());

  assert.equal(iptables.inputs.length, 1, 'one sync before start() resolved');
  assert.match(iptables.inputs[0]!, /-A KUBE-SERVICES -d 10\.43\.0\.10\/32 -p udp -m udp --dport 53 .* -j KUBE-SVC-/);
  assert.equal(iptables.jumps.size, 8, 'every jump into our chains');

  // A burst of endpoint changes: one write per min-sync interval at most, ending at the last state.
  for (let i = 0; i < 20; i++) await api.update(SLICES, { ...slice(['10.42.0.5', `10.42.1.${i}`]), metadata: { ...slice([]).metadata, resourceVersion: '' } } as KubeObject);
  await sleep(1000);
  const afterBurst = iptables.inputs.length - 1;
  assert.ok(afterBurst >= 1 && afterBurst <= 4, `20 changes became ${afterBurst} writes`);
  const last = iptables.inputs.at(-1)!;
  assert.match(last, /--to-destination 10\.42\.1\.19:5353/);
  assert.match(last, /-X KUBE-SEP-/, 'the endpoint chains that went are deleted');
  assert.ok(cleared.some((c) => c.ip === '10.43.0.10' && c.port === 53 && c.endpointIP === '10.42.0.6'), 'UDP flows to the removed endpoint are cleared');
  assert.ok(!cleared.some((c) => c.endpointIP === '10.42.0.5'), 'flows to the endpoint that stayed are kept');

  await api.delete(SERVICES, 'dns');
  await sleep(700);
  assert.ok([...iptables.tables.nat].every((c) => !/^KUBE-(SVC|SEP)-/.test(c)), `service chains gone: ${[...iptables.tables.nat].join(' ')}`);

  controller.abort();
  await proxy.stopped();
  assert.equal(iptables.jumps.size, 0, 'jumps removed');
  assert.deepEqual([...iptables.tables.nat].sort(), ['CNI-HOSTPORT-DNAT', 'OUTPUT', 'POSTROUTING', 'PREROUTING'], 'only chains that are not ours remain');
  assert.deepEqual([...iptables.tables.filter].sort(), ['FORWARD', 'INPUT', 'OUTPUT']);
});
