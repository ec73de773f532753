/**
 * Usage of a node this process does not run (an agent joined with `k3s agent`), fetched from its
 * kubelet API (GET /stats/usage on the node's InternalIP and kubelet port) with the API server's
 * kubelet client certificate, as metrics-server scrapes kubelets.
 */
import { request } from 'node:https';
import type { KubeObject } from '../api/types.js';
import { MetricsUnavailableError, usageFromJson, type NodeUsageSnapshot } from '../agent/stats/collector.js';

export interface UsageSource {
  readonly nodeName: string;
  snapshot(): Promise<NodeUsageSnapshot>;
}

export interface KubeletTls {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

export function remoteUsage(node: KubeObject, tls: KubeletTls): UsageSource {
  const nodeName = node.metadata?.name ?? '';
  const status = (node['status'] ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const host = status.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  return {
    nodeName,
    snapshot: () =>
      new Promise((resolve, reject) => {
        if (!host || !port) return reject(new MetricsUnavailableError(`metrics not available for node ${nodeName}: it has not reported its kubelet address`));
        const req = request({ host, port, path: '/stats/usage', method: 'GET', cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, checkServerIdentity: () => undefined, timeout: 15_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 200) return resolve(usageFromJson(JSON.parse(text)));
            let message = text.slice(0, 300);
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              // not a Status
            }
            reject(new MetricsUnavailableError(res.statusCode === 503 ? message : `metrics not available for node ${nodeName}: its kubelet answered ${res.statusCode}: ${message}`));
          });
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
        req.on('error', (err) => reject(new MetricsUnavailableError(`metrics not available for node ${nodeName}: cannot reach its kubelet at ${host}:${port}: ${err.message}`)));
        req.end();
      }),
  };
}
