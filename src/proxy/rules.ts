/**
 * iptables rules for the Service ports, in upstream kube-proxy's shape so that anyone who knows
 * `iptables-save` output from a Kubernetes node can read ours:
 *
 *   nat    PREROUTING/OUTPUT -> KUBE-SERVICES -> KUBE-SVC-* (cluster IP) -> KUBE-SEP-* (DNAT)
 *                                            -> KUBE-EXT-* (node port, LB ingress, external IP)
 *          KUBE-SERVICES (last rule, destination local) -> KUBE-NODEPORTS -> KUBE-EXT-*
 *          KUBE-EXT-* -> KUBE-SVC-* (policy Cluster) or KUBE-SVL-* (local endpoints only)
 *          POSTROUTING -> KUBE-POSTROUTING: MASQUERADE what KUBE-MARK-MASQ marked
 *   filter INPUT/FORWARD/OUTPUT -> KUBE-SERVICES, KUBE-EXTERNAL-SERVICES: REJECT for Service
 *          ports without endpoints (connection refused at once instead of a hang), KUBE-FORWARD
 *
 * Pure: from ServicePorts to chains and rules; iptables.ts applies them.
 */
import { createHash } from 'node:crypto';
import type { Endpoint, ServicePort } from './model.js';

export const MASQ_MARK = '0x4000/0x4000';
export const DROP_MARK = '0x8000/0x8000';

/** Chains every sync rewrites whole, per table. */
export const TOP_CHAINS = {
  nat: ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-MARK-DROP'],
  filter: ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD'],
} as const;

/** Per-Service chain prefixes: what the proxy owns besides TOP_CHAINS (and may delete when stale). */
export const SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|SEP)-[A-Z2-7]{16}$/;

export type TableName = 'nat' | 'filter';

/** Chain name -> its rules (each a full `-A CHAIN ...` line), per table, in a stable order. */
export interface Tables {
  readonly nat: Map<string, string[]>;
  readonly filter: Map<string, string[]>;
}

/** A rule jumping from a built-in chain into ours; kept at the top of the built-in chain. */
export interface Jump {
  readonly table: TableName;
  readonly chain: string;
  /** The rule's arguments after the chain name. */
  readonly args: readonly string[];
}

export const JUMPS: readonly Jump[] = [
  { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING'] },
  { table: 'filter', chain: 'INPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'OUTPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
];

export interface RuleOptions {
  /** The cluster's pod CIDR: traffic to a cluster IP from outside it is masqueraded (upstream's --cluster-cidr). */
  readonly clusterCidr?: string;
  /**
   * Masquerade every connection to a Service. Needed when bridged traffic skips iptables (no
   * br_netfilter): a pod's reply to another pod on the same bridge would otherwise go straight
   * back over the bridge without its NAT being undone, and the client would drop it.
   */
  readonly masqueradeAll?: boolean;
}

/** Upstream-style chain suffix: 16 base32 characters of a SHA-256, stable across restarts. */
export function chainSuffix(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 16) break;
  }
  return out;
}

export function serviceChains(sp: Pick<ServicePort, 'id' | 'protocol'>): { svc: string; svl: string; ext: string; fw: string } {
  const suffix = chainSuffix(`${sp.id}${sp.protocol.toLowerCase()}`);
  return { svc: `KUBE-SVC-${suffix}`, svl: `KUBE-SVL-${suffix}`, ext: `KUBE-EXT-${suffix}`, fw: `KUBE-FW-${suffix}` };
}

export function endpointChain(sp: Pick<ServicePort, 'id' | 'protocol'>, ep: Pick<Endpoint, 'ip' | 'port'>): string {
  return `KUBE-SEP-${chainSuffix(`${sp.id}${sp.protocol.toLowerCase()}${ep.ip}:${ep.port}`)}`;
}

/** The whole desired state of our chains. */
export function buildRules(ports: readonly ServicePort[], options: RuleOptions = {}): Tables {
  const nat = new Map<string, string[]>();
  const filter = new Map<string, string[]>();
  for (const chain of TOP_CHAINS.nat) nat.set(chain, []);
  for (const chain of TOP_CHAINS.filter) filter.set(chain, []);
  const add = (table: Map<string, string[]>, chain: string, rule: string): void => {
    let rules = table.get(chain);
    if (!rules) table.set(chain, (rules = []));
    rules.push(`-A ${chain} ${rule}`);
  };

  add(nat, 'KUBE-MARK-MASQ', `-j MARK --or-mark ${MASQ_MARK.split('/')[0]}`);
  add(nat, 'KUBE-MARK-DROP', `-j MARK --or-mark ${DROP_MARK.split('/')[0]}`);
  add(nat, 'KUBE-POSTROUTING', `-m mark ! --mark ${MASQ_MARK} -j RETURN`);
  // Clear the mark so a packet re-traversing the stack (e.g. through another namespace) is not masqueraded twice.
  add(nat, 'KUBE-POSTROUTING', `-j MARK --xor-mark ${MASQ_MARK.split('/')[0]}`);
  add(nat, 'KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');

  add(filter, 'KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  add(filter, 'KUBE-FORWARD', `-m mark --mark ${DROP_MARK} -m comment --comment "no local endpoints (externalTrafficPolicy Local)" -j DROP`);
  add(filter, 'KUBE-FORWARD', `-m mark --mark ${MASQ_MARK} -m comment --comment "kubernetes forwarding rules" -j ACCEPT`);
  add(filter, 'KUBE-FORWARD', '-m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "kubernetes forwarding conntrack rule" -j ACCEPT');
  add(filter, 'KUBE-EXTERNAL-SERVICES', `-m mark --mark ${DROP_MARK} -m comment --comment "no local endpoints (externalTrafficPolicy Local)" -j DROP`);
  // route_localnet (for node ports on 127.0.0.1) must not let other machines reach the node's loopback services.
  add(filter, 'KUBE-EXTERNAL-SERVICES', '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');

  for (const sp of ports) {
    const proto = sp.protocol.toLowerCase();
    const match = (dport: number): string => `-p ${proto} -m ${proto} --dport ${dport}`;
    const { svc, svl, ext, fw } = serviceChains(sp);
    const all = sp.endpoints;
    const local = all.filter((e) => e.local);
    const hasExternal = sp.nodePort !== undefined || sp.externalAddresses.length > 0;

    if (all.length === 0) {
      // No endpoints at all: refuse at once rather than let the connection hang.
      for (const ip of sp.clusterIPs) add(filter, 'KUBE-SERVICES', `-d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} has no endpoints" -j REJECT --reject-with icmp-port-unreachable`);
      for (const ip of sp.externalAddresses) add(filter, 'KUBE-EXTERNAL-SERVICES', `-d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} has no endpoints" -j REJECT --reject-with icmp-port-unreachable`);
      if (sp.nodePort !== undefined) add(filter, 'KUBE-EXTERNAL-SERVICES', `-m addrtype --dst-type LOCAL ${match(sp.nodePort)} -m comment --comment "${sp.id} has no endpoints" -j REJECT --reject-with icmp-port-unreachable`);
      continue;
    }

    // Cluster IP traffic: to every endpoint, or only to this node's with internalTrafficPolicy Local.
    const clusterTarget = sp.internalPolicyLocal ? svl : svc;
    for (const ip of sp.clusterIPs) {
      if (sp.internalPolicyLocal && local.length === 0) {
        add(filter, 'KUBE-SERVICES', `-d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} has no local endpoints" -j DROP`);
        continue;
      }
      add(nat, 'KUBE-SERVICES', `-d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} cluster IP" -j ${clusterTarget}`);
    }
    // External traffic (policy Cluster, or pods and the node itself under policy Local) uses every endpoint.
    const needSvc = !sp.internalPolicyLocal || hasExternal;
    const needSvl = (sp.internalPolicyLocal || (hasExternal && sp.externalPolicyLocal)) && local.length > 0;

    if (needSvc) {
      for (const ip of sp.clusterIPs) {
        if (options.masqueradeAll) add(nat, svc, `-d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} cluster IP" -j KUBE-MARK-MASQ`);
        else if (options.clusterCidr) add(nat, svc, `! -s ${options.clusterCidr} -d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} cluster IP" -j KUBE-MARK-MASQ`);
      }
      balance(nat, add, svc, sp, all);
    }
    if (needSvl) {
      if (options.masqueradeAll) add(nat, svl, `-m comment --comment "${sp.id} local endpoints" -j KUBE-MARK-MASQ`);
      balance(nat, add, svl, sp, local);
    }

    if (hasExternal) {
      const guarded = sp.sourceRanges.length > 0;
      for (const ip of sp.externalAddresses) {
        const target = guarded && sp.ingressAddresses.includes(ip) ? fw : ext;
        add(nat, 'KUBE-SERVICES', `-d ${ip}/32 ${match(sp.port)} -m comment --comment "${sp.id} ${target === fw ? 'loadbalancer' : 'external'} IP" -j ${target}`);
      }
      if (guarded && sp.ingressAddresses.length > 0) {
        // loadBalancerSourceRanges: only the listed sources, and the node itself (rootlesskit's
        // forwards arrive from 127.0.0.1, the client's address is lost before they get here).
        for (const range of sp.sourceRanges) add(nat, fw, `-s ${range} -m comment --comment "${sp.id} loadbalancer IP" -j ${ext}`);
        add(nat, fw, `-m addrtype --src-type LOCAL -m comment --comment "${sp.id} loadbalancer IP" -j ${ext}`);
        add(nat, fw, `-m comment --comment "${sp.id}: source not in loadBalancerSourceRanges" -j KUBE-MARK-DROP`);
      }
      if (sp.nodePort !== undefined) add(nat, 'KUBE-NODEPORTS', `${match(sp.nodePort)} -m comment --comment "${sp.id}" -j ${ext}`);
      if (!sp.externalPolicyLocal) {
        // Masqueraded so replies come back through this node (and 127.0.0.1 sources can leave it).
        add(nat, ext, `-m comment --comment "masquerade traffic for ${sp.id} external destinations" -j KUBE-MARK-MASQ`);
        add(nat, ext, `-j ${svc}`);
      } else {
        // Local policy keeps the client's address for traffic from outside; pods and the node
        // itself still reach every endpoint, as upstream treats "short-circuited" traffic.
        if (options.clusterCidr) add(nat, ext, `-s ${options.clusterCidr} -m comment --comment "pod traffic for ${sp.id} external destinations" -j ${svc}`);
        add(nat, ext, `-m comment --comment "masquerade LOCAL traffic for ${sp.id} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
        add(nat, ext, `-m comment --comment "route LOCAL traffic for ${sp.id} external destinations" -m addrtype --src-type LOCAL -j ${svc}`);
        add(nat, ext, local.length > 0 ? `-j ${svl}` : `-m comment --comment "${sp.id} has no local endpoints" -j KUBE-MARK-DROP`);
      }
    }
  }
  add(nat, 'KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  return { nat, filter };
}

/** Random balancing (statistic) over `endpoints`, with ClientIP affinity (recent) checked first. */
function balance(nat: Map<string, string[]>, add: (t: Map<string, string[]>, c: string, r: string) => void, chain: string, sp: ServicePort, endpoints: readonly Endpoint[]): void {
  const proto = sp.protocol.toLowerCase();
  const seps = endpoints.map((ep) => ({ ep, chain: endpointChain(sp, ep) }));
  if (sp.affinitySeconds !== undefined) {
    for (const { ep, chain: sep } of seps) {
      add(nat, chain, `-m comment --comment "${sp.id} -> ${ep.ip}:${ep.port}" -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep}`);
    }
  }
  seps.forEach(({ ep, chain: sep }, i) => {
    const remaining = seps.length - i;
    const statistic = remaining > 1 ? `-m statistic --mode random --probability ${(1 / remaining).toFixed(10)} ` : '';
    add(nat, chain, `-m comment --comment "${sp.id} -> ${ep.ip}:${ep.port}" ${statistic}-j ${sep}`);
  });
  for (const { ep, chain: sep } of seps) {
    if (nat.has(sep)) continue; // shared by the SVC and SVL chains of the same port
    // Hairpin: a pod reaching itself through its Service must not see its own address as source.
    add(nat, sep, `-s ${ep.ip}/32 -m comment --comment "${sp.id}" -j KUBE-MARK-MASQ`);
    const recent = sp.affinitySeconds !== undefined ? `-m recent --name ${sep} --mask 255.255.255.255 --rsource --set ` : '';
    add(nat, sep, `-p ${proto} -m comment --comment "${sp.id}" ${recent}-m ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
  }
}

/** What was last written: chain -> rules joined, or null when the content is unknown (found at startup). */
export type Applied = { nat: Map<string, string | null>; filter: Map<string, string | null> };

export function emptyApplied(): Applied {
  return { nat: new Map(), filter: new Map() };
}

/**
 * The `iptables-restore --noflush` input that turns `applied` into `desired`: the top-level
 * chains always, per-Service chains only when their rules changed, and stale per-Service chains
 * flushed then deleted (after every rule that referenced them is gone, in the same commit).
 * Chains not named are left alone, so other programs' rules survive.
 */
export function restoreInput(desired: Tables, applied: Applied): { text: string; written: number } {
  const lines: string[] = [];
  let written = 0;
  for (const table of ['filter', 'nat'] as const) {
    const want = desired[table];
    const have = applied[table];
    const declare: string[] = [];
    const rules: string[] = [];
    const remove: string[] = [];
    for (const [chain, chainRules] of want) {
      const top = (TOP_CHAINS[table] as readonly string[]).includes(chain);
      if (!top && have.get(chain) === chainRules.join('\n')) continue;
      declare.push(`:${chain} - [0:0]`);
      rules.push(...chainRules);
      if (!top) written++;
    }
    for (const chain of have.keys()) {
      if (want.has(chain) || !SERVICE_CHAIN.test(chain)) continue;
      declare.push(`:${chain} - [0:0]`);
      remove.push(`-X ${chain}`);
    }
    lines.push(`*${table}`, ...declare, ...rules, ...remove, 'COMMIT');
  }
  return { text: `${lines.join('\n')}\n`, written };
}

/** Records `desired` as applied. */
export function appliedFrom(desired: Tables): Applied {
  const toMap = (m: Map<string, string[]>): Map<string, string | null> => new Map([...m].map(([c, r]) => [c, r.join('\n')]));
  return { nat: toMap(desired.nat), filter: toMap(desired.filter) };
}

/** The input that removes everything we own: every chain flushed, then deleted. */
export function cleanupInput(existing: { nat: readonly string[]; filter: readonly string[] }): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const ours = existing[table].filter((c) => SERVICE_CHAIN.test(c) || (TOP_CHAINS[table] as readonly string[]).includes(c));
    lines.push(`*${table}`, ...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
