/**
 * Kernel settings the proxy relies on, in the node's network namespace. Each is per network
 * namespace on current kernels, so they can be set in a test's namespace and, as root of its
 * user namespace, inside rootlesskit's. What could not be set is reported, not hidden.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface NodeNetworkFacts {
  /**
   * Whether bridged traffic passes iptables (net.bridge.bridge-nf-call-iptables = 1). Without it a
   * pod's reply to a pod on the same bridge skips conntrack, so the Service's DNAT is not undone
   * and the client drops the reply: the proxy then masquerades all Service traffic instead.
   */
  readonly bridgeNfCallIptables: boolean;
  /** net.ipv4.conf.all.route_localnet: node ports on 127.0.0.1 (and rootlesskit's forwards) need it. */
  readonly routeLocalnet: boolean;
  /** Settings that could not be applied, with why (for one log line). */
  readonly problems: readonly string[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Sets the sysctl `name` (a path under procSys) to `value` unless it already is; returns whether it ends up so. */
function ensure(procSys: string, name: string, value: string, problems: string[]): boolean {
  const path = `${procSys}/${name}`;
  const current = read(path);
  if (current === value) return true;
  try {
    writeFileSync(path, value);
    return read(path) === value;
  } catch (err) {
    const why = current === undefined ? 'not present (for bridge settings: modprobe br_netfilter as root)' : (err as NodeJS.ErrnoException).code ?? String(err);
    problems.push(`${name.replaceAll('/', '.')}=${value}: ${why}`);
    return false;
  }
}

export function prepareNodeNetwork(procSys: string | undefined = '/proc/sys'): NodeNetworkFacts {
  const problems: string[] = [];
  ensure(procSys, 'net/ipv4/ip_forward', '1', problems);
  const routeLocalnet = ensure(procSys, 'net/ipv4/conf/all/route_localnet', '1', problems);
  const bridgeNfCallIptables = ensure(procSys, 'net/bridge/bridge-nf-call-iptables', '1', problems);
  return { bridgeNfCallIptables, routeLocalnet, problems };
}
