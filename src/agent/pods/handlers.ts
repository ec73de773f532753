/**
 * The network checks probes and lifecycle hooks share: an HTTP(S) GET, a TCP connect, and
 * resolving a named container port.
 */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ContainerSpec, HttpGetAction } from './pod-types.js';

export function resolvePort(c: ContainerSpec, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = c.ports?.find((p) => p.name === port)?.containerPort;
  if (named) return named;
  const n = Number(port);
  if (Number.isInteger(n) && n > 0) return n;
  throw new Error(`port "${port}" is not a number and no container port has that name`);
}

/** One HTTP(S) GET: undefined on 2xx/3xx, else the failure. Probes do not verify certificates (upstream). */
export function httpGetCheck(g: HttpGetAction, port: number, host: string, timeoutMs: number): Promise<string | undefined> {
  const https = (g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const path = g.path ?? '/';
  const options = { host, port, path, method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, headers: { 'User-Agent': 'kube-probe/1.32', ...Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value])) } };
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : request)(options, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? undefined : `HTTP probe failed with statuscode: ${code}`);
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${https ? 'https' : 'http'}://${host}:${port}${path}": context deadline exceeded`)));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

export function tcpCheck(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`dial tcp ${host}:${port}: i/o timeout`);
    });
    socket.once('error', (err) => resolve(`dial tcp ${host}:${port}: ${err.message}`));
  });
}

