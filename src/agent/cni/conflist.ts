/**
 * The CNI network the agent writes for containerd's CRI plugin: a bridge (cni0) with host-local
 * IPAM on the node's pod CIDR and a default route, then portmap for hostPort. The loopback
 * plugin is left out: CRI brings lo up itself. No ipMasq: the agent masquerades the whole pod
 * CIDR with one chain (masquerade.ts) instead of the plugin's iptables chain per pod. Written only when the content changes, since
 * containerd reloads the conf dir on every change.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { net } from '../../config/index.js';

export const CONFLIST_NAME = '10-k3s-ts.conflist';

export interface CniSettings {
  readonly podCidr: string;
  readonly bridge: string;
  readonly mtu: number;
  /** host-local's allocation state. */
  readonly ipamDataDir: string;
}

export function conflist(s: CniSettings): Record<string, unknown> {
  const cidr = net.parseCidr(s.podCidr);
  if (!cidr || cidr.family !== 4) throw new Error(`pod CIDR ${s.podCidr} is not an IPv4 CIDR`);
  return {
    cniVersion: '1.0.0',
    name: 'k3s-ts',
    plugins: [
      {
        type: 'bridge',
        bridge: s.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        mtu: s.mtu,
        ipam: {
          type: 'host-local',
          dataDir: s.ipamDataDir,
          ranges: [[{ subnet: s.podCidr, gateway: net.ipv4Nth(cidr, 1) }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** Writes the conflist into `dir`; returns whether it changed. */
export function writeConflist(dir: string, s: CniSettings): boolean {
  mkdirSync(dir, { recursive: true });
  mkdirSync(s.ipamDataDir, { recursive: true });
  const path = join(dir, CONFLIST_NAME);
  const text = `${JSON.stringify(conflist(s), null, 2)}\n`;
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return true;
}
