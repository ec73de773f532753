/**
 * Pod egress masquerade, set once by the agent for the node's pod CIDR (as flannel does)
 * instead of by the bridge plugin per pod: its ipMasq made a chain per pod, each rule one
 * iptables process (8 at every sandbox start, 5 more at every stop), which was the largest share
 * of the CNI cost of a pod start. Traffic from this node's pods to anything outside the cluster
 * CIDR (the host, other machines, the internet) leaves with the node's address; pod-to-pod and
 * multicast traffic keeps its source. The rules stay when k3s stops: pods outlive the agent.
 */
import { logger } from '../../log/index.js';
import { findProgram, runProgram, type RunResult } from '../../proxy/iptables.js';

const log = logger('agent');

export const MASQ_CHAIN = 'K3S-POD-MASQ';
/** The bridge plugin's per-pod chains of conflists written before this module (name "k3s-ts"). */
const PER_POD_RULE = /^-A POSTROUTING -s [0-9./]+ -m comment --comment "name: \\"k3s-ts\\" id: \\"[0-9a-f]+\\"" -j (CNI-[0-9a-f]{24})$/;

export interface MasqueradeSettings {
  /** This node's pod CIDR: the sources to masquerade. */
  readonly podCidr: string;
  /** The whole cluster's pod CIDR: destinations that keep the pod's address. */
  readonly clusterCidr: string;
}

/** The POSTROUTING rule that sends the node's pod traffic through our chain. */
export function jumpArgs(s: MasqueradeSettings): string[] {
  return ['-s', s.podCidr, '-m', 'comment', '--comment', 'k3s pod egress masquerade', '-j', MASQ_CHAIN];
}

/** iptables-restore input (nat table, for --noflush) that (re)writes our chain. */
export function chainInput(s: MasqueradeSettings): string {
  return ['*nat', `:${MASQ_CHAIN} - [0:0]`, `-A ${MASQ_CHAIN} -d ${s.clusterCidr} -j RETURN`, `-A ${MASQ_CHAIN} -d 224.0.0.0/4 -j RETURN`, `-A ${MASQ_CHAIN} -j MASQUERADE`, 'COMMIT', ''].join('\n');
}

/**
 * iptables-restore input that removes the per-pod chains found in `natSave` (iptables-save -t
 * nat) with their POSTROUTING jumps, or undefined when there are none. Their pods, started
 * before an upgrade, are covered by our chain.
 */
export function staleInput(natSave: string): { input: string; chains: number } | undefined {
  const deletes: string[] = [];
  const chains = new Set<string>();
  for (const line of natSave.split('\n')) {
    const m = PER_POD_RULE.exec(line);
    if (!m) continue;
    deletes.push(`-D${line.slice(2)}`);
    chains.add(m[1]!);
  }
  if (chains.size === 0) return undefined;
  return { input: ['*nat', ...deletes, ...[...chains].flatMap((c) => [`:${c} - [0:0]`, `-X ${c}`]), 'COMMIT', ''].join('\n'), chains: chains.size };
}

export class MasqueradeError extends Error {
  override readonly name = 'MasqueradeError';
}

type Runner = (file: string, args: readonly string[], input?: string) => Promise<RunResult>;

/**
 * Writes the chain and makes sure POSTROUTING jumps to it (appended, as the bridge plugin's
 * rules were: the service proxy's jump stays first). Three or four iptables processes, once.
 */
export async function ensurePodMasquerade(s: MasqueradeSettings, runner: Runner = runProgram): Promise<void> {
  const iptables = findProgram('iptables');
  const restore = findProgram('iptables-restore');
  const save = findProgram('iptables-save');
  if (!iptables || !restore || !save) {
    throw new MasqueradeError('pods need iptables for their traffic to leave the node (masquerade): install the iptables package (apt-get install iptables)');
  }
  // -w: the CNI plugins and the service proxy take the xtables lock too.
  const r = await runner(restore, ['-w', '--noflush'], chainInput(s));
  if (r.code !== 0) throw new MasqueradeError(`writing the ${MASQ_CHAIN} chain failed (${r.code}): ${r.stderr.trim()}`);
  const jump = jumpArgs(s);
  if ((await runner(iptables, ['-w', '-t', 'nat', '-C', 'POSTROUTING', ...jump])).code !== 0) {
    const added = await runner(iptables, ['-w', '-t', 'nat', '-A', 'POSTROUTING', ...jump]);
    if (added.code !== 0) throw new MasqueradeError(`adding the POSTROUTING jump to ${MASQ_CHAIN} failed (${added.code}): ${added.stderr.trim()}`);
  }
  log.info({ podCidr: s.podCidr, clusterCidr: s.clusterCidr }, 'pod egress masquerade set');
  // Tidying up after an upgrade: a failure here leaves redundant rules, nothing broken.
  const saved = await runner(save, ['-t', 'nat']);
  const stale = saved.code === 0 ? staleInput(saved.stdout) : undefined;
  if (!stale) return;
  const removed = await runner(restore, ['-w', '--noflush'], stale.input);
  if (removed.code === 0) log.info({ chains: stale.chains }, 'removed the per-pod masquerade chains of an earlier version');
  else log.warn({ stderr: removed.stderr.trim() }, 'removing the per-pod masquerade chains of an earlier version failed');
}
