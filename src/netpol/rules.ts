/**
 * NetworkPolicy (networking.k8s.io/v1) as iptables filter rules, as upstream k3s's embedded
 * kube-router controller enforces it, for the pods of one node:
 *
 *   FORWARD/OUTPUT/INPUT (first rule) -> K3S-NP-FORWARD
 *   K3S-NP-FORWARD: established/related traffic returns (policies are stateful: replies pass);
 *     -d <pod IP> -> K3S-NP-I-<pod>  for each local pod an Ingress policy selects
 *     -s <pod IP> -> K3S-NP-E-<pod>  for each local pod an Egress policy selects
 *   K3S-NP-I/E-<pod>: clear the accept mark; every peer/port pair of every policy selecting the
 *     pod sets it; marked returns, the rest is rejected (connection refused, not a hang).
 *     ipBlock peers with `except` jump to K3S-NP-B-<hash>, which returns for the exceptions.
 *
 * No ipset here (not installed on every host): one rule per peer pod IP. Named ports resolve on the
 * destination pod (ingress: the selected pod; egress: each peer pod). Traffic from the node itself
 * to its pods is allowed (kubelet probes), as kube-router does. Pure: from objects to chains.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { KubeObject } from '../api/types.js';
import { labelSelectorFromObject, type LabelSelector } from '../apiserver/selectors/labels.js';

export const TOP_CHAIN = 'K3S-NP-FORWARD';
/** Every chain this controller owns matches this (stale ones are deleted). */
export const OWN_CHAIN = /^K3S-NP-/;
/** The bit that says "some policy allows this packet" (kube-proxy uses 0x4000 and 0x8000). */
export const ACCEPT_MARK = '0x20000/0x20000';
const CLEAR_MARK = '0x0/0x20000';

/** The built-in chains that jump into ours, each as the first rule. */
export const HOOKS = ['FORWARD', 'OUTPUT', 'INPUT'] as const;
export const JUMP_ARGS = ['-m', 'comment', '--comment', 'k3s network policy', '-j', TOP_CHAIN] as const;

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}
export type NpPod = KubeObject & {
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: { ports?: ContainerPort[] }[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
};
export type NpNamespace = KubeObject;

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface PolicyPeer {
  podSelector?: unknown;
  namespaceSelector?: unknown;
  ipBlock?: { cidr: string; except?: string[] };
}
export type NetworkPolicy = KubeObject & {
  spec?: {
    podSelector?: unknown;
    policyTypes?: string[];
    ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
    egress?: { to?: PolicyPeer[]; ports?: PolicyPort[] }[];
  };
};

export interface ClusterState {
  readonly pods: readonly NpPod[];
  readonly namespaces: readonly NpNamespace[];
  readonly policies: readonly NetworkPolicy[];
}

/** Chain name -> its rules (full `-A` lines), in a stable order; the filter table only. */
export type Chains = Map<string, string[]>;

/** The IPv4 address of a pod that has its own network (hostNetwork pods share the node's). */
export function podIPv4(pod: NpPod): string | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return ips.find((ip): ip is string => !!ip && isIP(ip) === 4);
}

/** policyTypes as the API defaults them when absent: Ingress always, Egress when rules exist. */
export function policyTypes(policy: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const types = policy.spec?.policyTypes;
  if (types && types.length > 0) return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  return { ingress: true, egress: (policy.spec?.egress?.length ?? 0) > 0 };
}

/** Parsed selectors by their object: a build asks the same selector about every pod. */
const selectorCache = new WeakMap<object, LabelSelector>();
function selector(object: unknown): LabelSelector {
  if (object === null || typeof object !== 'object') return labelSelectorFromObject(object);
  let parsed = selectorCache.get(object);
  if (!parsed) selectorCache.set(object, (parsed = labelSelectorFromObject(object)));
  return parsed;
}

function selects(policy: NetworkPolicy, pod: NpPod): boolean {
  return pod.metadata?.namespace === policy.metadata?.namespace && selector(policy.spec?.podSelector).matches(pod.metadata?.labels);
}

/** The pods a peer names (for podSelector and/or namespaceSelector peers); memoized per build. */
function peerPods(peer: PolicyPeer, policyNamespace: string, state: ClusterState, memo: Map<PolicyPeer, NpPod[]>): NpPod[] {
  const known = memo.get(peer);
  if (known) return known;
  let namespaces: Set<string>;
  if (peer.namespaceSelector !== undefined) {
    const sel = selector(peer.namespaceSelector);
    namespaces = new Set(state.namespaces.filter((ns) => sel.matches(ns.metadata?.labels)).map((ns) => ns.metadata?.name ?? ''));
  } else {
    namespaces = new Set([policyNamespace]);
  }
  const podSel = selector(peer.podSelector);
  const pods = state.pods.filter((p) => namespaces.has(p.metadata?.namespace ?? '') && podSel.matches(p.metadata?.labels) && podIPv4(p) !== undefined);
  memo.set(peer, pods);
  return pods;
}

function protoOf(port: PolicyPort): string {
  return (port.protocol ?? 'TCP').toLowerCase();
}

/** A container port number for a name on a pod (named ports of NetworkPolicy). */
function namedPort(pod: NpPod, name: string, protocol: string): number | undefined {
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === name && (p.protocol ?? 'TCP').toLowerCase() === protocol) return p.containerPort;
  }
  return undefined;
}

/**
 * iptables match arguments for the ports of a rule, given the destination pod (for named ports).
 * Empty list of ports: one entry with no match (any port). A named port the pod lacks: no entry.
 */
function portMatches(ports: readonly PolicyPort[] | undefined, destination: NpPod | undefined): string[][] {
  if (!ports || ports.length === 0) return [[]];
  const out: string[][] = [];
  for (const port of ports) {
    const proto = protoOf(port);
    if (port.port === undefined) {
      out.push(['-p', proto]);
      continue;
    }
    let number: number | undefined;
    if (typeof port.port === 'number' || /^\d+$/.test(port.port)) number = Number(port.port);
    else if (destination) number = namedPort(destination, port.port, proto);
    if (number === undefined) continue;
    const range = port.endPort !== undefined && port.endPort > number ? `${number}:${port.endPort}` : String(number);
    out.push(['-p', proto, '-m', proto, '--dport', range]);
  }
  return out;
}

function hasNamedPort(ports: readonly PolicyPort[] | undefined): boolean {
  return (ports ?? []).some((p) => typeof p.port === 'string' && !/^\d+$/.test(p.port));
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').replace(/[-_]/g, 'X').slice(0, 16).toUpperCase();
}

function rule(chain: string, args: readonly string[]): string {
  return `-A ${chain} ${args.join(' ')}`;
}

function podName(pod: NpPod): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/**
 * The rules of one direction for one pod: each allowed (peer, port) pair as a match that sets the
 * accept mark. `self` is the selected pod; `peerFlag` is -s for ingress, -d for egress.
 */
function directionRules(
  chain: string,
  self: NpPod,
  policies: readonly NetworkPolicy[],
  direction: 'ingress' | 'egress',
  state: ClusterState,
  chains: Chains,
  memo: Map<PolicyPeer, NpPod[]>,
): string[] {
  const peerFlag = direction === 'ingress' ? '-s' : '-d';
  const lines = [rule(chain, ['-j', 'MARK', '--set-xmark', CLEAR_MARK])];
  if (direction === 'ingress') lines.push(rule(chain, ['-m', 'addrtype', '--src-type', 'LOCAL', '-m', 'comment', '--comment', '"from the node itself"', '-j', 'MARK', '--set-xmark', ACCEPT_MARK]));
  for (const policy of policies) {
    const ns = policy.metadata?.namespace ?? '';
    const comment = ['-m', 'comment', '--comment', `"${direction} ${ns}/${policy.metadata?.name}"`];
    const rules = direction === 'ingress' ? (policy.spec?.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })) : (policy.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
    for (const r of rules) {
      const peers = r.peers && r.peers.length > 0 ? r.peers : undefined;
      if (!peers) {
        // Any peer. Egress to a named port: the port resolves on each destination pod that has it.
        if (direction === 'egress' && hasNamedPort(r.ports)) {
          for (const pod of state.pods) for (const m of portMatches(r.ports, pod)) if (podIPv4(pod) && m.length > 0) lines.push(rule(chain, [peerFlag, `${podIPv4(pod)}/32`, ...m, ...comment, '-j', 'MARK', '--set-xmark', ACCEPT_MARK]));
        } else {
          for (const m of portMatches(r.ports, direction === 'ingress' ? self : undefined)) lines.push(rule(chain, [...m, ...comment, '-j', 'MARK', '--set-xmark', ACCEPT_MARK]));
        }
        continue;
      }
      for (const peer of peers) {
        if (peer.ipBlock) {
          const block = peer.ipBlock;
          if (isIP(block.cidr.split('/')[0] ?? '') !== 4) continue;
          const except = (block.except ?? []).filter((e) => isIP(e.split('/')[0] ?? '') === 4);
          let target = ['-j', 'MARK', '--set-xmark', ACCEPT_MARK];
          if (except.length > 0) {
            // "cidr but not these": a chain that returns for the exceptions and marks the rest.
            const blockChain = `K3S-NP-B-${hash(`${direction}|${block.cidr}|${except.join(',')}`)}`;
            if (!chains.has(blockChain)) {
              chains.set(blockChain, [...except.map((e) => rule(blockChain, [peerFlag, e, '-j', 'RETURN'])), rule(blockChain, ['-j', 'MARK', '--set-xmark', ACCEPT_MARK])]);
            }
            target = ['-j', blockChain];
          }
          for (const m of portMatches(r.ports, direction === 'ingress' ? self : undefined)) lines.push(rule(chain, [peerFlag, block.cidr, ...m, ...comment, ...target]));
          continue;
        }
        for (const pod of peerPods(peer, ns, state, memo)) {
          for (const m of portMatches(r.ports, direction === 'ingress' ? self : pod)) lines.push(rule(chain, [peerFlag, `${podIPv4(pod)}/32`, ...m, ...comment, '-j', 'MARK', '--set-xmark', ACCEPT_MARK]));
        }
      }
    }
  }
  lines.push(rule(chain, ['-m', 'mark', '--mark', ACCEPT_MARK, '-j', 'RETURN']));
  const what = direction === 'ingress' ? `ingress to ${podName(self)}` : `egress from ${podName(self)}`;
  lines.push(rule(chain, ['-m', 'comment', '--comment', `"${what} not allowed by any NetworkPolicy"`, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']));
  return lines;
}

/** Every chain for the pods of `nodeName`; K3S-NP-FORWARD first. */
export function buildChains(state: ClusterState, nodeName: string): Chains {
  const chains: Chains = new Map();
  const memo = new Map<PolicyPeer, NpPod[]>();
  const top = [rule(TOP_CHAIN, ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN'])];
  chains.set(TOP_CHAIN, top);
  const local = state.pods
    .filter((p) => p.spec?.nodeName === nodeName && podIPv4(p) !== undefined)
    .sort((a, b) => podName(a).localeCompare(podName(b)));
  const policies = [...state.policies].sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  for (const pod of local) {
    const ip = podIPv4(pod)!;
    const selecting = policies.filter((p) => selects(p, pod));
    const ingress = selecting.filter((p) => policyTypes(p).ingress);
    const egress = selecting.filter((p) => policyTypes(p).egress);
    const id = hash(`${pod.metadata?.uid ?? podName(pod)}`);
    if (ingress.length > 0) {
      const chain = `K3S-NP-I-${id}`;
      chains.set(chain, directionRules(chain, pod, ingress, 'ingress', state, chains, memo));
      top.push(rule(TOP_CHAIN, ['-d', `${ip}/32`, '-m', 'comment', '--comment', `"ingress to ${podName(pod)}"`, '-j', chain]));
    }
    if (egress.length > 0) {
      const chain = `K3S-NP-E-${id}`;
      chains.set(chain, directionRules(chain, pod, egress, 'egress', state, chains, memo));
      top.push(rule(TOP_CHAIN, ['-s', `${ip}/32`, '-m', 'comment', '--comment', `"egress from ${podName(pod)}"`, '-j', chain]));
    }
  }
  // The mark means nothing past our chains.
  top.push(rule(TOP_CHAIN, ['-j', 'MARK', '--set-xmark', CLEAR_MARK]));
  return chains;
}

/**
 * iptables-restore input (for --noflush) that turns the `previous` chains into `next`: chains whose
 * rules changed are rewritten whole, new ones created, gone ones flushed and deleted. Empty when
 * nothing changed.
 */
export function restoreInput(previous: ReadonlyMap<string, readonly string[]>, next: Chains): string {
  const lines: string[] = [];
  const changed = [...next.entries()].filter(([name, rules]) => JSON.stringify(previous.get(name)) !== JSON.stringify(rules));
  const gone = [...previous.keys()].filter((name) => !next.has(name));
  if (changed.length === 0 && gone.length === 0) return '';
  lines.push('*filter');
  // Declaring a chain in --noflush mode creates it or empties it.
  for (const [name] of changed) lines.push(`:${name} - [0:0]`);
  for (const name of gone) lines.push(`:${name} - [0:0]`);
  // Chains are filled referrers last, so a jump never names a chain that does not exist yet.
  const order = changed.sort(([a], [b]) => (a === TOP_CHAIN ? 1 : 0) - (b === TOP_CHAIN ? 1 : 0));
  for (const [, rules] of order) lines.push(...rules);
  for (const name of gone) lines.push(`-X ${name}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
