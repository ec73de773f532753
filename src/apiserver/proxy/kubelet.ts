/**
 * pods/log, pods/exec, pods/attach and pods/portforward, proxied to the kubelet of the pod's
 * node (status.addresses InternalIP, daemonEndpoints.kubeletEndpoint.Port) over HTTPS with the
 * API server's kubelet-client certificate, verifying the kubelet against the server CA.
 * Logs are a plain streamed GET; the others are HTTP/1.1 upgrades (WebSocket or SPDY) whose
 * bytes are piped both ways after the request is forwarded, so the kubelet sees the client's
 * own protocol negotiation. The pod's container is checked here, as upstream does, so a wrong
 * name is a 400 from the API server and never reaches the node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { KubeObject } from '../../api/types.js';
import { logger } from '../../log/index.js';
import { badRequest, StatusError } from '../errors.js';

const log = logger('apiserver');

export const STREAMING_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward']);
/** Streams that start a process or reach into the pod: a WebSocket GET needs `create` too (upstream 1.31+). */
export const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

export interface KubeletClientTls {
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA the kubelets' serving certificates chain to (the server CA). */
  readonly caPem: string;
}

export interface KubeletProxyDeps {
  readonly tls: KubeletClientTls;
  readonly getPod: (namespace: string, name: string) => Promise<KubeObject>;
  readonly getNode: (name: string) => Promise<KubeObject | undefined>;
}

interface PodSpec {
  nodeName?: string;
  containers?: { name: string }[];
  initContainers?: { name: string }[];
  ephemeralContainers?: { name: string }[];
}

interface Location {
  readonly host: string;
  readonly port: number;
  /** Path and query on the kubelet. */
  readonly path: string;
}

/** Query parameters passed on to the kubelet per subresource. */
const PASSED: Record<string, readonly string[]> = {
  log: ['follow', 'tailLines', 'timestamps', 'previous', 'sinceSeconds', 'sinceTime', 'limitBytes'],
  exec: ['command', 'stdin', 'stdout', 'stderr', 'tty'],
  attach: ['stdin', 'stdout', 'stderr', 'tty'],
  portforward: ['ports'],
};

function containerFor(pod: KubeObject, requested: string): string {
  const spec = (pod['spec'] ?? {}) as PodSpec;
  const name = pod.metadata?.name ?? '';
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  if (requested === '') {
    const regular = (spec.containers ?? []).map((c) => c.name);
    if (regular.length === 1) return regular[0]!;
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]${spec.initContainers?.length ? ` or one of the init containers: [${spec.initContainers.map((c) => c.name).join(' ')}]` : ''}`);
  }
  if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

export class KubeletProxy {
  constructor(private readonly deps: KubeletProxyDeps) {}

  /** Where on which kubelet this request goes (400 for a pod without a node or a wrong container). */
  async locate(subresource: string, namespace: string, podName: string, query: URLSearchParams): Promise<Location> {
    const pod = await this.deps.getPod(namespace, podName);
    const nodeName = ((pod['spec'] ?? {}) as PodSpec).nodeName;
    if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
    const node = await this.deps.getNode(nodeName);
    if (!node) throw badRequest(`pod ${podName} is on node ${nodeName}, which does not exist`);
    const status = (node['status'] ?? {}) as { addresses?: { type: string; address: string }[]; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
    const address = status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? status.addresses?.find((a) => a.type === 'Hostname')?.address;
    const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!address || !port) throw new StatusError(503, 'ServiceUnavailable', `node ${nodeName} has not reported its kubelet address yet`, {});
    const params = new URLSearchParams();
    for (const key of PASSED[subresource] ?? []) for (const value of query.getAll(key)) params.append(key, value);
    const ns = encodeURIComponent(namespace);
    const p = encodeURIComponent(podName);
    const search = params.size > 0 ? `?${params.toString()}` : '';
    if (subresource === 'portforward') return { host: address, port, path: `/portForward/${ns}/${p}${search}` };
    const container = encodeURIComponent(containerFor(pod, query.get('container') ?? ''));
    const kind = subresource === 'log' ? 'containerLogs' : subresource;
    return { host: address, port, path: `/${kind}/${ns}/${p}/${container}${search}` };
  }

  /** GET pods/log: the kubelet's answer streamed through, status and body as they come. */
  serveLog(location: Location, req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): Promise<void> {
    const { tls } = this.deps;
    return new Promise((resolve, reject) => {
      const upstream = httpsRequest(
        { host: location.host, port: location.port, path: location.path, method: 'GET', cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, checkServerIdentity: () => undefined },
        (answer) => {
          const headers: Record<string, string> = { 'Content-Type': String(answer.headers['content-type'] ?? 'text/plain'), 'Cache-Control': 'no-cache, private' };
          res.writeHead(answer.statusCode ?? 502, headers);
          (res as ServerResponse).flushHeaders?.();
          answer.on('data', (chunk: Buffer) => (res as ServerResponse).write(chunk));
          answer.once('end', () => {
            res.end();
            resolve();
          });
          answer.once('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.once('error', (err) => reject(unreachable(location, err)));
      // A client that goes away ends the follow on the kubelet too.
      res.once('close', () => upstream.destroy());
      upstream.end();
      void req;
    });
  }

  /** exec/attach/portforward: forward the upgrade request and pipe both ways. */
  async serveUpgrade(location: Location, req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const { tls } = this.deps;
    const upstream = await new Promise<Duplex>((resolve, reject) => {
      const socket = tlsConnect({ host: location.host, port: location.port, cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, ALPNProtocols: ['http/1.1'], checkServerIdentity: () => undefined }, () => resolve(socket));
      socket.once('error', (err) => reject(unreachable(location, err)));
    });
    const lines = [`${req.method ?? 'GET'} ${location.path} HTTP/1.1`, `Host: ${location.host}:${location.port}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      // The user's credentials stay here: the kubelet trusts the API server's certificate.
      if (/^(host|authorization|impersonate-.*|proxy-authorization|cookie)$/i.test(name)) continue;
      lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
    }
    upstream.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
    const end = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.once('close', end);
    client.once('close', end);
    upstream.on('error', (err) => (log.debug({ err: err.message }, 'kubelet stream ended with an error'), end()));
    client.on('error', end);
  }
}

function unreachable(location: Location, err: Error): StatusError {
  return new StatusError(502, 'InternalError', `error dialing the kubelet at ${location.host}:${location.port}: ${err.message}`, {});
}
