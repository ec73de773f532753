/**
 * The kubelet API (HTTPS, default port 10250) the API server proxies pods/log, pods/exec,
 * pods/attach and pods/portforward to:
 *   GET  /containerLogs/{ns}/{pod}/{container}?follow&tailLines&timestamps&previous&sinceSeconds&sinceTime&limitBytes
 *   GET|POST /exec/{ns}/{pod}/{container}?command=..&stdin&stdout&stderr&tty   (upgrade: WebSocket or SPDY)
 *   GET|POST /attach/{ns}/{pod}/{container}?stdin&stdout&stderr&tty           (upgrade)
 *   GET|POST /portForward/{ns}/{pod}?ports=..                                  (upgrade)
 *   GET  /healthz
 * TLS with a serving certificate from the cluster's server CA, and a client certificate from
 * the client CA is required; of those only the API server's (CN system:apiserver, as upstream
 * k3s's client-kube-apiserver) or a system:masters one is let through: the API server has
 * already authorized the user, the kubelet only checks that the API server is calling.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { CriClient } from '../cri/index.js';
import { logger } from '../../log/index.js';
import { findContainer, findRunningContainer, findSandbox, KubeletError } from './containers.js';
import { streamLog, type LogOptions } from './logs.js';
import { PORT_FORWARD_WS_PROTOCOL, spdyPassthrough, webSocketExec, webSocketPortForward, webSocketProtocol } from './streams.js';

const log = logger('kubelet-api');

/** Upstream's kubelet port. Every node has its own address (a test node its own netns), so one port suits all. */
export const KUBELET_PORT = 10250;

export interface KubeletApiOptions {
  readonly cri: CriClient;
  readonly tls: { readonly certPem: string; readonly keyPem: string; readonly clientCaPem: string };
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** The node's resource usage, served at GET /stats/usage for the API server's metrics.k8s.io. */
  readonly usage?: () => Promise<unknown>;
}

const REASONS: Record<number, string> = { 503: 'ServiceUnavailable', 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 500: 'InternalError', 502: 'InternalError' };

function status(code: number, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? 'InternalError', code });
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function errorOf(err: unknown): KubeletError {
  if (err instanceof KubeletError) return err;
  return new KubeletError(500, err instanceof Error ? err.message : String(err));
}

/** Only the API server's client certificate (or a cluster admin's) may call the kubelet. */
function callerAllowed(socket: TLSSocket): boolean {
  if (!socket.authorized) return false;
  const subject = socket.getPeerCertificate().subject as { CN?: string | string[]; O?: string | string[] } | undefined;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return list(subject?.CN).includes('system:apiserver') || list(subject?.O).includes('system:masters');
}

/** Splits /kind/a/b/c into its parts (URL-decoded). */
function route(path: string): { kind: string; parts: string[] } {
  const [, kind = '', ...parts] = path.split('/').map((p) => decodeURIComponent(p));
  return { kind, parts };
}

function logOptions(query: URLSearchParams): LogOptions {
  const int = (name: string): number | undefined => {
    const raw = query.get(name);
    if (raw === null || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new KubeletError(400, `${name}: invalid value "${raw}": must be a non-negative integer`);
    return n;
  };
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = query.get('sinceTime');
  let since: Date | undefined;
  if (sinceSeconds !== undefined) since = new Date(Date.now() - sinceSeconds * 1000);
  else if (sinceTime) {
    since = new Date(sinceTime);
    if (Number.isNaN(since.getTime())) throw new KubeletError(400, `sinceTime: invalid value "${sinceTime}": must be RFC3339`);
  }
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  return {
    follow: isTrue(query.get('follow')),
    timestamps: isTrue(query.get('timestamps')),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since ? { since } : {}),
  };
}

export class KubeletApi {
  #server: Server | undefined;

  constructor(private readonly options: KubeletApiOptions) {}

  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(signal: AbortSignal): Promise<void> {
    const o = this.options;
    const server = createServer({ key: o.tls.keyPem, cert: o.tls.certPem, ca: o.tls.clientCaPem, requestCert: true, rejectUnauthorized: true });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#request(req, res).catch((err: unknown) => {
        const e = errorOf(err);
        if (e.code >= 500) log.warn({ err: e.message, url: req.url }, 'kubelet API request failed');
        if (!res.headersSent) {
          res.writeHead(e.code, { 'Content-Type': 'application/json' });
          res.end(status(e.code, e.message));
        } else res.destroy();
      });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(req, socket, head).catch((err: unknown) => {
        const e = errorOf(err);
        if (e.code >= 500) log.warn({ err: e.message, url: req.url }, 'kubelet API stream failed');
        const body = status(e.code, e.message);
        socket.end(`HTTP/1.1 ${e.code} ${REASONS[e.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      });
    });
    server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'kubelet API TLS handshake failed'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    log.info({ address: `${o.host}:${this.port}` }, 'kubelet API listening');
    const stop = (): void => {
      server.close();
      server.closeAllConnections();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  }

  async #request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!callerAllowed(req.socket as TLSSocket)) throw new KubeletError(403, 'only the API server may call the kubelet API');
    const url = new URL(req.url ?? '/', 'https://kubelet.invalid');
    const { kind, parts } = route(url.pathname);
    if (kind === 'healthz' && parts.length === 0) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    if (url.pathname === '/stats/usage' && req.method === 'GET' && this.options.usage) {
      let body: string;
      try {
        body = JSON.stringify(await this.options.usage());
      } catch (err) {
        // Not measurable here (rootless without cgroups): the reason goes back as a 503.
        throw new KubeletError(503, (err as Error).message);
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      return;
    }
    if (kind === 'containerLogs' && parts.length === 3 && req.method === 'GET') return this.#logs(parts as [string, string, string], url.searchParams, res);
    if (kind === 'exec' || kind === 'attach' || kind === 'portForward') throw new KubeletError(400, 'Upgrade request required');
    throw new KubeletError(404, `the kubelet API has no ${req.method} ${url.pathname}`);
  }

  async #logs([namespace, pod, name]: [string, string, string], query: URLSearchParams, res: ServerResponse): Promise<void> {
    const { cri } = this.options;
    const options = logOptions(query);
    const container = await findContainer(cri, namespace, pod, name, isTrue(query.get('previous')));
    const status = await cri.containerStatus(container.id);
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    // Followers see the headers at once, before any line (kubectl waits for them).
    res.flushHeaders();
    await streamLog(
      status.logPath,
      options,
      (text) => (res.destroyed ? false : (res.write(text), true)),
      async () => (await cri.containerStatus(container.id).catch(() => undefined))?.state === 'CONTAINER_RUNNING',
      aborted.signal,
    );
    res.end();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (!callerAllowed(socket as TLSSocket)) throw new KubeletError(403, 'only the API server may call the kubelet API');
    const { cri } = this.options;
    const url = new URL(req.url ?? '/', 'https://kubelet.invalid');
    const { kind, parts } = route(url.pathname);
    const query = url.searchParams;
    const ws = webSocketProtocol(req);
    const spdy = (req.headers['upgrade'] ?? '').toLowerCase().startsWith('spdy/');
    if (!ws && !spdy) throw new KubeletError(400, `unsupported upgrade "${req.headers['upgrade'] ?? ''}" (want websocket with a channel.k8s.io protocol, or SPDY/3.1)`);
    if ((kind === 'exec' || kind === 'attach') && parts.length === 3) {
      const [namespace, pod, name] = parts as [string, string, string];
      const tty = isTrue(query.get('tty'));
      const flags = { stdin: isTrue(query.get('stdin')), stdout: isTrue(query.get('stdout')), stderr: isTrue(query.get('stderr')) && !tty, tty };
      if (!flags.stdin && !flags.stdout && !flags.stderr) throw new KubeletError(400, 'you must specify at least one of stdin, stdout, stderr');
      const container = await findRunningContainer(cri, namespace, pod, name);
      let streamUrl: string;
      if (kind === 'exec') {
        const command = query.getAll('command');
        if (command.length === 0) throw new KubeletError(400, 'you must specify at least one command for the container');
        streamUrl = await cri.exec({ containerId: container.id, cmd: command, ...flags });
      } else streamUrl = await cri.attach({ containerId: container.id, ...flags });
      log.debug({ kind, pod: `${namespace}/${pod}`, container: name, protocol: ws ?? 'SPDY' }, 'stream');
      if (ws) await webSocketExec(req, socket, head, streamUrl, flags);
      else await spdyPassthrough(req, socket, head, streamUrl);
      return;
    }
    if (kind === 'portForward' && parts.length === 2) {
      const [namespace, pod] = parts as [string, string];
      const sandbox = await findSandbox(cri, namespace, pod);
      const ports = query.getAll('ports').flatMap((p) => p.split(',')).map(Number).filter((n) => Number.isInteger(n) && n > 0);
      const streamUrl = await cri.portForward(sandbox, ports);
      if (ws === PORT_FORWARD_WS_PROTOCOL) await webSocketPortForward(req, socket, head, streamUrl);
      else if (spdy) await spdyPassthrough(req, socket, head, streamUrl);
      else throw new KubeletError(400, `port forwarding over WebSocket needs the ${PORT_FORWARD_WS_PROTOCOL} protocol`);
      return;
    }
    throw new KubeletError(404, `the kubelet API has no stream at ${url.pathname}`);
  }
}
