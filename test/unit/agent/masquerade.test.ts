import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chainInput, ensurePodMasquerade, jumpArgs, MASQ_CHAIN, staleInput } from '../../../src/agent/cni/masquerade.js';

const settings = { podCidr: '10.42.3.0/24', clusterCidr: '10.42.0.0/16' };

test('masquerade chain: pod traffic to the cluster CIDR and multicast keeps its source, the rest is masqueraded', () => {
  const lines = chainInput(settings).split('\n');
  assert.deepEqual(lines.slice(0, 2), ['*nat', `:${MASQ_CHAIN} - [0:0]`]);
  assert.deepEqual(lines.slice(2, 5), [`-A ${MASQ_CHAIN} -d 10.42.0.0/16 -j RETURN`, `-A ${MASQ_CHAIN} -d 224.0.0.0/4 -j RETURN`, `-A ${MASQ_CHAIN} -j MASQUERADE`]);
  assert.equal(lines[5], 'COMMIT');
  assert.deepEqual(jumpArgs(settings).slice(0, 2), ['-s', '10.42.3.0/24']);
});

test('masquerade: the per-pod chains of the bridge plugin (earlier conflists) are found for removal, others are not', () => {
  const save = [
    '*nat',
    ':POSTROUTING ACCEPT [0:0]',
    ':CNI-b16440ead1b43ed683e571ef - [0:0]',
    ':CNI-0123456789abcdef01234567 - [0:0]',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A POSTROUTING -s 10.42.0.2/32 -m comment --comment "name: \\"k3s-ts\\" id: \\"99119ee9\\"" -j CNI-b16440ead1b43ed683e571ef',
    '-A POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \\"other\\" id: \\"abc\\"" -j CNI-0123456789abcdef01234567',
    '-A CNI-b16440ead1b43ed683e571ef -d 10.42.0.0/24 -m comment --comment "name: \\"k3s-ts\\" id: \\"99119ee9\\"" -j ACCEPT',
    'COMMIT',
  ].join('\n');
  const stale = staleInput(save);
  assert.ok(stale);
  assert.equal(stale.chains, 1);
  assert.deepEqual(stale.input.split('\n'), [
    '*nat',
    '-D POSTROUTING -s 10.42.0.2/32 -m comment --comment "name: \\"k3s-ts\\" id: \\"99119ee9\\"" -j CNI-b16440ead1b43ed683e571ef',
    ':CNI-b16440ead1b43ed683e571ef - [0:0]',
    '-X CNI-b16440ead1b43ed683e571ef',
    'COMMIT',
    '',
  ]);
  assert.equal(staleInput('*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n'), undefined);
});

test('masquerade: the POSTROUTING jump is appended only when missing; an iptables failure names what failed', async () => {
  const calls: string[] = [];
  let jumpPresent = false;
  const runner = async (file: string, args: readonly string[]) => {
    calls.push(`${file.slice(file.lastIndexOf('/') + 1)} ${args.join(' ')}`);
    if (args.includes('-C')) return { code: jumpPresent ? 0 : 1, stdout: '', stderr: '' };
    return { code: 0, stdout: '*nat\nCOMMIT\n', stderr: '' };
  };
  await ensurePodMasquerade(settings, runner);
  assert.ok(calls.some((c) => c.startsWith('iptables -w -t nat -A POSTROUTING -s 10.42.3.0/24')));
  calls.length = 0;
  jumpPresent = true;
  await ensurePodMasquerade(settings, runner);
  assert.ok(!calls.some((c) => c.includes(' -A POSTROUTING')));
  const failing = async (file: string) => ({ code: file.endsWith('iptables-restore') ? 2 : 0, stdout: '', stderr: 'iptables-restore: line 2 failed' });
  await assert.rejects(ensurePodMasquerade(settings, failing), /writing the K3S-POD-MASQ chain failed \(2\): iptables-restore: line 2 failed/);
});
